"""`stylebot run` (bot + engine processes, stopped together) and `run --auto` (the offline demo)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
from PIL import Image

import jobqueue
from standin import Standin
from tests.bot.support import run_stylebot, stylebot_env, stylebot_env_without_discord, until

pytestmark = pytest.mark.slow


async def test_run_stops_the_engine_when_the_bot_dies_and_passes_on_its_status(
    standin: Standin, tmp_path: Path
) -> None:
    standin.revoke_token()
    env = stylebot_env(standin, f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    code, output = await run_stylebot(["run"], env, wait=90)
    assert code == 2, output
    assert "bot exited with status 2" in output
    assert standin.token not in output


async def test_run_forwards_sigterm_and_both_processes_stop_cleanly(standin: Standin, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    env = stylebot_env(standin, url)
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "stylebot", "run", env=env, stdout=out, stderr=out
        )
        try:
            await standin.wait_for(lambda: standin.command_syncs, 60, "the bot to sync its commands")
            store = await jobqueue.open_store(url, migrate=False)
            try:
                await until(lambda: store.live_workers(within_seconds=30), 60, "the engine to register")
            finally:
                await store.close()
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), 60)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert code == 0, log.read_text()


async def test_run_auto_without_a_token_runs_the_demo_and_says_how_to_add_one(tmp_path: Path) -> None:
    env = {
        **stylebot_env_without_discord(),
        "STYLEBOT_MAX_SIZE": "32",
        "STYLEBOT_WEIGHTS": "random",
        "STYLEBOT_DATA_DIR": str(tmp_path),
    }
    out = tmp_path / "demo.png"
    code, output = await run_stylebot(["run", "--auto", "--demo-output", str(out)], env, wait=240)
    assert code == 0, output
    assert "RANDOM weights" in output and "DISCORD_TOKEN" in output and str(out.resolve()) in output
    with Image.open(out) as image:
        assert min(image.size) == 32
