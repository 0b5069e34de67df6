"""Alembic migrations: `upgrade head` on an empty database gives exactly the models' schema (SQLite and PostgreSQL),
downgrade to base and up again works, processes that start together migrate once, and a database at another
revision than the code is refused with `SchemaMismatch`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

import jobqueue
from jobqueue._migrate import expected_revision, migrations_dir, target_metadata
from tests.pg import PostgresServer, fresh_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return asyncio.run(fresh_database(server, f"m_{uuid.uuid4().hex[:12]}"))


@pytest.fixture
def sync_engine(db_url: str) -> Iterator[Engine]:
    url = make_url(db_url)
    driver = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql+psycopg"
    engine = create_engine(url.set(drivername=driver))
    yield engine
    engine.dispose()


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, target_metadata()))


def _alembic(engine: Engine, fn: str, target: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, fn)(cfg, target)


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


async def _open_close(url: str, *, migrate: bool = True) -> None:
    store = await jobqueue.open_store(url, migrate=migrate)
    await store.close()


def test_upgrade_head_gives_exactly_the_models_schema(db_url: str, sync_engine: Engine) -> None:
    asyncio.run(_open_close(db_url))
    assert _revision(sync_engine) == expected_revision()
    assert _diff(sync_engine) == []
    with sync_engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert {"jobs", "blobs", "workers", "guild_settings", "queue_control", "meta"} <= tables


def test_downgrade_to_base_and_upgrade_again(db_url: str, sync_engine: Engine) -> None:
    asyncio.run(_open_close(db_url))
    _alembic(sync_engine, "downgrade", "base")
    with sync_engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    _alembic(sync_engine, "upgrade", "head")
    assert _diff(sync_engine) == []


def test_newest_revision_goes_down_and_up(db_url: str, sync_engine: Engine) -> None:
    asyncio.run(_open_close(db_url))
    _alembic(sync_engine, "downgrade", "-1")
    assert _revision(sync_engine) != expected_revision()
    _alembic(sync_engine, "upgrade", "head")
    assert _diff(sync_engine) == [] and _revision(sync_engine) == expected_revision()


def test_database_behind_the_code_is_refused_without_migrate(db_url: str, sync_engine: Engine) -> None:
    _alembic(sync_engine, "upgrade", "0001_initial")
    with pytest.raises(jobqueue.SchemaMismatch) as info:
        asyncio.run(_open_close(db_url, migrate=False))
    assert info.value.found == "0001_initial" and info.value.expected == expected_revision()
    assert "stylebot db upgrade" in str(info.value)
    asyncio.run(_open_close(db_url))  # migrate=True brings it up to date
    assert _revision(sync_engine) == expected_revision()


def test_database_ahead_of_the_code_is_refused(db_url: str, sync_engine: Engine) -> None:
    asyncio.run(_open_close(db_url))
    with sync_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    for migrate in (True, False):
        with pytest.raises(jobqueue.SchemaMismatch) as info:
            asyncio.run(_open_close(db_url, migrate=migrate))
        assert info.value.found == "9999_from_the_future"


@pytest.mark.slow
def test_processes_that_start_together_migrate_once(db_url: str, sync_engine: Engine) -> None:
    code = (
        "import asyncio, sys, jobqueue\n"
        "async def m():\n    s = await jobqueue.open_store(sys.argv[1])\n    await s.close()\n"
        "asyncio.run(m())\n"
    )
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db_url], cwd=ROOT, env=env, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    assert _revision(sync_engine) == expected_revision()
    assert _diff(sync_engine) == []


def test_migrations_ship_as_package_data() -> None:
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = conf["tool"]["setuptools"]["package-data"]["migrations"]
    assert {"*.ini", "*.mako", "versions/*.py"} <= set(patterns)
    assert "migrations*" in conf["tool"]["setuptools"]["packages"]["find"]["include"]
    here = migrations_dir()
    assert (here / "env.py").is_file() and (here / "script.py.mako").is_file()
    shipped = {p.name for pattern in [*patterns, "*.py"] for p in here.glob(pattern)}  # *.py: the package's modules
    assert {"env.py", "alembic.ini", "script.py.mako", "0001_initial.py"} <= shipped
    assert all(p.name in shipped for p in (here / "versions").glob("*.py"))
