"""`stylebot bot` as a real process against the stand-in: a rejected token, `bot sync`."""

from __future__ import annotations

from pathlib import Path

import pytest

from standin import Standin
from tests.bot.support import run_stylebot, stylebot_env

pytestmark = pytest.mark.slow


async def test_a_rejected_token_gives_one_line_and_exit_status_2(standin: Standin, tmp_path: Path) -> None:
    standin.revoke_token()
    env = stylebot_env(standin, f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    code, output = await run_stylebot(["bot"], env)
    assert code == 2, output
    assert "error: Discord rejected DISCORD_TOKEN" in output
    assert standin.token not in output


async def test_bot_sync_pushes_the_commands_once_and_exits(standin: Standin, tmp_path: Path) -> None:
    env = stylebot_env(standin, f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    code, output = await run_stylebot(["bot", "sync"], env)
    assert code == 0, output
    [(guild, payload)] = standin.command_syncs
    assert guild is None and {c["name"] for c in payload} >= {"stylize", "jobs", "forget", "queue"}
