"""Schema migrations at start-up: `upgrade head` under a cross-process lock, then a version check.

Processes that start together (bot and engines) take a lock first: on SQLite an exclusive `flock` on
`<database>.migrate.lock` beside the file, on PostgreSQL `pg_advisory_xact_lock` in the migrating transaction (DDL is
transactional there). A database whose revision this code does not know (newer code migrated it) or that lags
behind (migrate=False) raises `SchemaMismatch` instead of running against the wrong schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path

# Alembic ≥1.16 logs one INFO line per autogenerate plugin when it is imported, i.e. on every start of every
# process; that says nothing to an operator. (Set before the import below; a process that configured DEBUG keeps it.)
_plugins_log = logging.getLogger("alembic.runtime.plugins")
if not _plugins_log.isEnabledFor(logging.DEBUG):
    _plugins_log.setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from alembic.util.exc import CommandError  # noqa: E402
from sqlalchemy import Connection, MetaData, exc, pool, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine  # noqa: E402

from jobqueue._db import private_sqlite_files, safe_url, sqlite_path  # noqa: E402
from jobqueue._dberrors import translated_errors  # noqa: E402
from jobqueue.errors import DatabaseUnavailable, SchemaMismatch  # noqa: E402

__all__ = ["async_url", "check_schema", "expected_revision", "migrations_dir", "target_metadata", "upgrade_schema"]

logger = logging.getLogger(__name__)
_PG_LOCK = (0x5374_796C, 0x6D69_6772)  # "Styl", "migr"


def target_metadata() -> MetaData:
    """Every table the migrations create, on the job store's `Base`: its own and each feature's (challenges, styles)."""
    from jobqueue._models import Base
    from jobqueue.challenges._models import CHALLENGE_TABLES
    from jobqueue.styles._models import STYLE_TABLES

    missing = [t.name for t in (*CHALLENGE_TABLES, *STYLE_TABLES) if Base.metadata.tables.get(t.name) is not t]
    if missing:  # pragma: no cover - a feature's tables declared on another metadata
        raise RuntimeError(f"tables {missing} are not on jobqueue's Base.metadata")
    return Base.metadata


def migrations_dir() -> Path:
    """`migrations/` of the installed package (package data) or of the checkout."""
    from migrations import MIGRATIONS_DIR

    return MIGRATIONS_DIR


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


@cache
def expected_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "migrations/versions has no revision"
    return head


def async_url(url: str) -> str:
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}.get(parsed.get_backend_name())
    parsed = parsed.difference_update_query(["synchronous"])  # our SQLite option, not the driver's
    return parsed.set(drivername=driver or parsed.drivername).render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def _connect(url: str) -> AsyncIterator[AsyncConnection]:
    """A connection; driver errors from it (connecting, migrating, checking) become `jobqueue.errors`."""
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool, hide_parameters=True)
    try:
        with translated_errors(safe_url(url)):
            conn = await engine.connect()
            try:
                yield conn
            finally:
                await conn.close()
    finally:
        await engine.dispose()


def _current(conn: Connection) -> str | None:
    try:
        with conn.begin_nested() if conn.in_transaction() else contextlib.nullcontext():
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except exc.DBAPIError:
        return None


def _upgrade_sync(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": _PG_LOCK[0], "b": _PG_LOCK[1]})
    else:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    found = _current(conn)
    script = ScriptDirectory.from_config(_config())
    if found is not None and found not in {s.revision for s in script.walk_revisions()}:
        raise SchemaMismatch(expected_revision(), found)
    if found == expected_revision():
        return
    logger.info("migrating database from %s to %s", found or "empty", expected_revision())
    cfg = _config()
    cfg.attributes["connection"] = conn
    try:
        command.upgrade(cfg, "head")
    except CommandError as err:
        raise SchemaMismatch(expected_revision(), found) from err


@contextlib.asynccontextmanager
async def _file_lock(path: str) -> AsyncIterator[None]:
    fd = os.open(f"{path}.migrate.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


async def upgrade_schema(url: str) -> None:
    """Bring the database to the newest revision this code knows (safe to call from many processes at once)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        try:
            private_sqlite_files(path)  # before SQLite creates the file with the umask's mode
        except OSError as err:
            raise DatabaseUnavailable(safe_url(url), str(err)) from err
        async with _file_lock(path), _connect(url) as conn:
            await conn.run_sync(_upgrade_sync)
            await conn.commit()
        return
    async with _connect(url) as conn:
        await conn.run_sync(_upgrade_sync)
        await conn.commit()


async def check_schema(url: str) -> None:
    """Raise `SchemaMismatch` unless the database is at exactly the revision this code expects."""
    async with _connect(url) as conn:
        found = await conn.run_sync(_current)
    if found != expected_revision():
        raise SchemaMismatch(expected_revision(), found)
