"""`configure_logging`: third-party chatter stays out of an operator's log; a real process start is one clean line per
event."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stylebot.logs import configure_logging

ROOT = Path(__file__).resolve().parents[2]
OURS = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) +(\S+): ")
NAMES = ("alembic.runtime.plugins", "alembic.runtime.migration", "sqlalchemy.orm.mapper", "sqlalchemy.engine.Engine")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """A buffer that `configure` points the handler at; the root logger and the library levels are restored after."""
    root = logging.getLogger()
    names = ("alembic", "sqlalchemy", "sqlalchemy.engine", *NAMES)
    saved = (root.level, list(root.handlers), {n: logging.getLogger(n).level for n in names})
    yield io.StringIO()
    for handler in list(root.handlers):
        if handler not in saved[1]:
            root.removeHandler(handler)
    root.setLevel(saved[0])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def configure(level: str, buffer: io.StringIO) -> None:
    configure_logging(level)
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_stylebot", False)]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)


def test_alembic_and_sqlalchemy_info_lines_are_dropped_at_info(captured: io.StringIO) -> None:
    configure("INFO", captured)
    for name in NAMES:
        logging.getLogger(name).info("chatter from %s", name)
    logging.getLogger("alembic.runtime.migration").warning("a real problem")
    logging.getLogger("stylebot.test").info("our line")
    lines = captured.getvalue().splitlines()
    # messages only: context fields ("[process_role=db]") may be left over from a CLI test that ran `main()` in-process
    assert [line.split(": ", 1)[1].split(" [", 1)[0] for line in lines] == ["a real problem", "our line"]


def test_at_debug_alembic_speaks_but_sql_parameters_never_do(captured: io.StringIO) -> None:
    configure("DEBUG", captured)
    logging.getLogger("alembic.runtime.plugins").info("setting up autogenerate plugin x")
    logging.getLogger("sqlalchemy.engine.Engine").info("INSERT INTO jobs (interaction_token) VALUES (?)")
    text = captured.getvalue()
    assert "setting up autogenerate plugin x" in text
    assert "interaction_token" not in text
    configure("INFO", captured)  # idempotent: back to quiet
    logging.getLogger("alembic.runtime.plugins").info("setting up autogenerate plugin y")
    assert "plugin y" not in captured.getvalue()


def _stylebot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STYLEBOT_DATA_DIR": str(tmp_path / "data")}
    env |= {"STYLEBOT_ENGINE_METRICS_PORT": "0", "STYLEBOT_RETENTION_DAYS": "0"}
    for name in ("STYLEBOT_DATABASE_URL", "DISCORD_TOKEN", "STYLEBOT_LOG_LEVEL", "STYLEBOT_LOG_FORMAT"):
        env.pop(name, None)
    cmd = [sys.executable, "-m", "stylebot", *args, "--db", f"sqlite+aiosqlite:///{tmp_path / 'stylebot.db'}"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)


@pytest.mark.parametrize(
    "args", [("db", "upgrade"), ("engine", "--burst", "--weights", "random", "--device", "cpu")], ids=["db", "engine"]
)
def test_a_process_start_prints_one_clean_line_per_event(tmp_path: Path, args: tuple[str, ...]) -> None:
    proc = _stylebot(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines, "nothing logged"
    for line in lines:
        match = OURS.match(line)
        assert match, f"not one of our log lines: {line!r}"
        assert not match.group(2).startswith(("alembic", "sqlalchemy")), line
    assert sum("migrating database from empty" in line for line in lines) == 1


def test_discord_voice_support_warnings_are_dropped(capsys) -> None:
    import logging

    from stylebot.logs import configure_logging

    configure_logging("INFO")
    logging.getLogger("discord.client").warning("PyNaCl is not installed, voice will NOT be supported")
    logging.getLogger("discord.client").warning("logging in using static token failed")
    err = capsys.readouterr().err
    assert "voice will NOT be supported" not in err
    assert "static token failed" in err
