"""Revision 0002_challenges: `upgrade head` gives exactly the models' schema, and it goes down and up again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import jobqueue
from jobqueue._migrate import target_metadata

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"challenges", "challenge_entries", "challenge_votes"}


def _alembic(url: str, *args: str) -> None:
    cmd = [sys.executable, "-m", "alembic", "-c", str(ROOT / "migrations" / "alembic.ini"), "-x", f"url={url}"]
    subprocess.run([*cmd, *args], check=True, capture_output=True, cwd=ROOT, timeout=60)


async def test_upgrade_head_matches_the_models_and_downgrade_drops_only_challenges(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    store = await jobqueue.open_store(f"sqlite+aiosqlite:///{path}")
    await store.close()
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= TABLES
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, target_metadata()) == []
        _alembic(f"sqlite+aiosqlite:///{path}", "downgrade", "0001_initial")
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert not tables & TABLES and "jobs" in tables
        _alembic(f"sqlite+aiosqlite:///{path}", "upgrade", "head")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= TABLES
    finally:
        engine.dispose()
