"""Database access for `SqlJobStore`: one unit of work = one transaction = one plain function `fn(tx) -> T`.

- SQLite (`sqlite+aiosqlite:///path` or `sqlite:///path`): one stdlib `sqlite3` connection per store, set up with WAL,
  `synchronous=NORMAL`, foreign keys, `BEGIN IMMEDIATE` for writes (SQLAlchemy `connect`/`begin` event hooks). A unit
  of work first runs inline with `busy_timeout=0`: SQLite work takes microseconds, far less than a thread hop, which
  is what makes 3,000+ jobs/s possible. Should another process hold the write lock (SQLITE_BUSY), the whole unit is
  re-run in the store's own thread with a long `busy_timeout`, so the event loop never waits on a lock. (aiosqlite
  pays several thread hops per statement: measured 265 round trips/s against 2,900/s for one hop per unit.)
- PostgreSQL (`postgresql+asyncpg://…`): SQLAlchemy's async engine; the unit runs through `AsyncConnection.run_sync`
  on a pooled connection inside one transaction (READ COMMITTED; claims use `FOR UPDATE SKIP LOCKED`).

Hot statements (`Tx.fast`) are SQLAlchemy Core constructs compiled once per dialect; on SQLite they execute on the
raw DB-API cursor, skipping SQLAlchemy's per-call execution machinery. Driver errors become `jobqueue.errors` here
(`jobqueue._dberrors`): `DatabaseUnavailable` (retryable) or `DatabaseError` (permanent), never with bound
parameters (every engine has `hide_parameters=True`; the raw asyncpg path builds its errors without them).
"""

from __future__ import annotations

import asyncio
import logging
import operator
import random
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from foundation import private_dir, private_file
from sqlalchemy import Connection, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.util import await_only as await_  # (SQLAlchemy 2.0 and 2.1)

from jobqueue._dberrors import is_busy, translated_errors
from jobqueue.errors import DatabaseUnavailable, JobQueueError

__all__ = ["Database", "Tx", "create_database", "private_sqlite_files", "safe_url"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
BUSY_TIMEOUT_S = 30.0  # a unit waits this long for another process's write lock


def safe_url(url: str | URL) -> str:
    return make_url(url).render_as_string(hide_password=True)


def private_sqlite_files(path: str) -> None:
    """The database's directory (0700 when we create it), the file itself, its WAL and shared-memory files (0600).

    Whatever the umask. SQLite gives `-wal` and `-shm` its database file's mode when it creates them, so an
    owner-only file keeps them owner-only; existing ones open to others (an older version, a restored backup) are
    tightened to 0600 with a warning; an existing directory open to others only gets a warning (`foundation.files`).
    """
    db = Path(path)
    private_dir(db.parent)
    private_file(db)
    for suffix in ("-wal", "-shm", "-journal"):
        private_file(db.with_name(db.name + suffix), create=False)


class Tx:
    """One open transaction: `conn` for ordinary Core statements, `fast()` for the hot ones."""

    __slots__ = ("_compiled", "_raw", "conn")

    def __init__(self, conn: Connection, compiled: dict[int, _Compiled], raw: Any = None) -> None:
        self.conn = conn
        self._compiled = compiled
        self._raw = raw

    def fast(self, stmt: ClauseElement, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Execute a hot statement (no expanding lists) on the raw driver connection; rows as tuples.

        SQLite: the `sqlite3` cursor. PostgreSQL: the `asyncpg` connection, awaited from the greenlet that
        `run_sync` runs us in; asyncpg keeps the prepared statement, so each call is one round trip.
        """
        entry = self._compiled.get(id(stmt))
        if entry is None:
            entry = self._compiled[id(stmt)] = _Compiled(stmt, self.conn.dialect)
        args = entry.args(params)
        if self._raw is not None:
            return self._raw.execute(entry.sql, args).fetchall()
        driver = self.conn.connection.driver_connection
        try:
            return [tuple(r) for r in await_(driver.fetch(entry.sql, *args))]
        except Exception as err:  # asyncpg errors: give them SQLAlchemy's types, as every other statement has
            if driver.is_closed():  # terminated or reset: SQLAlchemy did not see it, so tell the pool to drop it
                self.conn.invalidate(err)
            if type(err).__module__.startswith("asyncpg"):
                raise _translate_asyncpg(err, entry.sql) from err
            raise


class _Compiled:
    """A statement compiled once for the raw DB-API path: SQL text, positional names, literal defaults."""

    __slots__ = ("_base", "_pick", "defaults", "names", "sql", "stmt")

    def __init__(self, stmt: ClauseElement, dialect: Any) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.stmt = stmt  # keeps id(stmt) from being reused while cached
        self.sql = compiled.string
        self.names = tuple(compiled.positiontup or ())
        self.defaults = {name: bind.effective_value for bind, name in compiled.bind_names.items()}
        # every positional name with its default (None if it has none): `args` merges the call's params over it
        # and picks the values in C (a Python loop over the INSERT's ~45 names cost ~10 µs per job)
        self._base = {name: self.defaults.get(name) for name in self.names}
        self._pick = operator.itemgetter(*self.names) if len(self.names) > 1 else None

    def args(self, params: dict[str, Any]) -> tuple[Any, ...]:
        """Positional values: `params[name]`, else the statement's literal default, else None."""
        merged = self._base | params
        if self._pick is not None:
            return self._pick(merged)
        return tuple(merged[name] for name in self.names)


class Database:
    """Runs units of work; see the module docstring. `dialect` is "sqlite" or "postgresql"."""

    dialect: str
    url: str

    async def write(self, fn: Callable[[Tx], T], *, atomic: bool = True, bulky: bool = False) -> T:
        """Run `fn` as a write. `atomic=False` declares that `fn` needs no transaction around its statements
        (one statement, or idempotent ones): PostgreSQL then runs it in autocommit; SQLite always uses one.
        `bulky=True` declares that `fn` moves megabytes (a blob): SQLite then runs it off the event loop."""
        raise NotImplementedError

    async def read(self, fn: Callable[[Tx], T], *, bulky: bool = False) -> T:
        raise NotImplementedError

    async def run_fast(self, steps: list[tuple[ClauseElement, dict[str, Any]]]) -> list[list[tuple[Any, ...]]]:
        """The hot path: run statements one after the other, each result's rows as tuples. SQLite: in one
        transaction; PostgreSQL: in autocommit on one pooled asyncpg connection (a round trip each)."""
        return await self.write(lambda tx: [tx.fast(stmt, params) for stmt, params in steps])

    async def close(self) -> None:
        raise NotImplementedError


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: str, synchronous: str = "NORMAL", *, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.url = f"sqlite:///{path}"
        self.busy_timeout = busy_timeout  # past it, a unit waiting for another process's lock is DatabaseUnavailable
        self._path = path
        self._synchronous = synchronous
        self._lock = asyncio.Lock()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="jobqueue-sqlite")
        self._begin = "BEGIN IMMEDIATE"
        self._compiled: dict[int, _Compiled] = {}
        try:
            private_sqlite_files(path)
        except OSError as err:
            raise DatabaseUnavailable(safe_url(self.url), str(err)) from err
        self.engine = create_engine(
            self.url,
            poolclass=StaticPool,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "isolation_level": None, "timeout": 0},
        )
        event.listen(self.engine, "connect", self._on_connect)
        event.listen(self.engine, "begin", self._on_begin)
        with translated_errors(safe_url(self.url)):
            self._conn = self.engine.connect()
        self._raw: sqlite3.Connection = self._conn.connection.driver_connection  # type: ignore[assignment]

    def _on_connect(self, dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (`_run`, or the `begin` hook)
        # set-up may wait for other processes (opening a WAL file, switching to WAL): `open_store` runs it in a thread
        dbapi_conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        if dbapi_conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            dbapi_conn.execute("PRAGMA journal_mode=WAL").fetchall()  # (persists in the file; migrations set it)
        for pragma in (
            f"PRAGMA synchronous={self._synchronous}",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=0",  # never block the event loop; `_run_patiently` waits in the thread
            "PRAGMA temp_store=MEMORY",
            # checkpoint every ~40 MB of WAL instead of every 4 MB: each checkpoint fsyncs twice, and hot index
            # pages are rewritten by every commit, so a larger window copies few more pages but fsyncs far less
            "PRAGMA wal_autocheckpoint=10000",
            "PRAGMA journal_size_limit=67108864",
        ):
            dbapi_conn.execute(pragma).fetchall()

    def _on_begin(self, conn: Connection) -> None:
        if not self._raw.in_transaction:  # `_run` normally began already; SQLAlchemy then only joins in
            conn.exec_driver_sql(self._begin)

    def _run(self, fn: Callable[[Tx], T], begin: str) -> T:
        """One transaction on the raw connection (BEGIN/COMMIT without SQLAlchemy's per-call machinery)."""
        raw, conn = self._raw, self._conn
        self._begin = begin
        raw.execute(begin)
        try:
            result = fn(Tx(conn, self._compiled, raw))
        except BaseException:
            if conn.in_transaction():
                conn.rollback()
            elif raw.in_transaction:
                raw.execute("ROLLBACK")
            raise
        if conn.in_transaction():
            conn.commit()
        else:
            raw.execute("COMMIT")
        return result

    def _run_patiently(self, fn: Callable[[Tx], T], begin: str) -> T:
        """In the store's thread: retry a unit that met SQLITE_BUSY, sleeping 20 µs, 40 µs, … 5 ms between tries
        (SQLite's own busy handler sleeps whole milliseconds, which halves throughput under contention)."""
        deadline = time.monotonic() + self.busy_timeout
        delay = 20e-6
        while True:
            try:
                return self._run(fn, begin)
            except (exc.OperationalError, sqlite3.OperationalError) as err:
                if not is_busy(err) or time.monotonic() > deadline:
                    raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.005)

    async def _unit(self, fn: Callable[[Tx], T], begin: str, bulky: bool = False) -> T:
        """Inline on the loop when it is cheap (the common case); in the store's thread when the write lock is taken
        or the unit is `bulky` (an 8 MiB blob write held the loop ~30 ms inline: bench/RESULTS.md)."""
        async with self._lock:
            with translated_errors(safe_url(self.url)):
                if not bulky:
                    try:
                        return self._run(fn, begin)
                    except (exc.OperationalError, sqlite3.OperationalError) as err:
                        if not is_busy(err):
                            raise
                fut = asyncio.get_running_loop().run_in_executor(self._thread, self._run_patiently, fn, begin)
                try:
                    return await asyncio.shield(fut)
                except asyncio.CancelledError:
                    # the unit goes on in the thread on our connection: keep the lock until it has finished
                    await asyncio.wait({fut})
                    raise

    async def write(self, fn: Callable[[Tx], T], *, atomic: bool = True, bulky: bool = False) -> T:
        return await self._unit(fn, "BEGIN IMMEDIATE", bulky)

    async def read(self, fn: Callable[[Tx], T], *, bulky: bool = False) -> T:
        return await self._unit(fn, "BEGIN", bulky)

    async def close(self) -> None:
        async with self._lock:
            self._conn.close()
            self.engine.dispose()
            self._thread.shutdown(wait=True)


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: URL) -> None:
        self.url = url.render_as_string(hide_password=False)
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=5,
            max_overflow=10,
            pool_pre_ping=False,
            hide_parameters=True,
            connect_args={"timeout": 15},
        )
        # Units that are one statement (or several that need no common snapshot, like an idempotent blob insert
        # followed by a guarded update) run in autocommit: one round trip each instead of BEGIN … COMMIT around it.
        self.autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._compiled: dict[int, _Compiled] = {}
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool: Any = None  # asyncpg pool for `run_fast`, created on first use (inside the running loop)
        self._pool_lock = asyncio.Lock()

    async def _fast_pool(self) -> Any:
        if self._pool is None:
            async with self._pool_lock:
                if self._pool is None:
                    import asyncpg

                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=0,  # no floor to restore: asyncpg would log each failed try in an outage
                        max_size=10,
                        timeout=15,
                        reset=_keep_session,
                        # plan the hot statements once per connection (their ORDER BY is an index, so the generic
                        # plan is an index range scan); re-prepared every minute so statistics catch up
                        server_settings={"plan_cache_mode": "force_generic_plan"},
                        max_cached_statement_lifetime=60,
                    )
        return self._pool

    async def run_fast(self, steps: list[tuple[ClauseElement, dict[str, Any]]]) -> list[list[tuple[Any, ...]]]:
        """Hot statements straight on asyncpg (compiled once by SQLAlchemy's asyncpg dialect): SQLAlchemy's
        checkout, greenlet and cursor layers cost several times the round trip itself."""
        out: list[list[tuple[Any, ...]]] = []
        with translated_errors(safe_url(self.url)):
            pool = await self._fast_pool()
            async with pool.acquire() as conn:
                for stmt, params in steps:
                    entry = self._compiled.get(id(stmt))
                    if entry is None:
                        entry = self._compiled[id(stmt)] = _Compiled(stmt, self.engine.dialect)
                    out.append([tuple(r) for r in await conn.fetch(entry.sql, *entry.args(params))])
        return out

    async def _unit(self, fn: Callable[[Tx], T], engine: AsyncEngine, atomic: bool) -> T:
        with translated_errors(safe_url(self.url)):
            async with engine.connect() as conn:
                if not atomic:
                    return await conn.run_sync(lambda sync_conn: fn(Tx(sync_conn, self._compiled)))
                async with conn.begin():
                    return await conn.run_sync(lambda sync_conn: fn(Tx(sync_conn, self._compiled)))

    async def write(self, fn: Callable[[Tx], T], *, atomic: bool = True, bulky: bool = False) -> T:
        return await self._unit(fn, self.engine if atomic else self.autocommit, atomic)  # asyncpg never blocks

    async def read(self, fn: Callable[[Tx], T], *, bulky: bool = False) -> T:
        return await self._unit(fn, self.autocommit, False)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        await self.engine.dispose()


async def _keep_session(_conn: Any) -> None:
    """asyncpg's default reset costs a round trip per release (UNLISTEN, RESET ALL, …); the hot path leaves no
    session state behind (autocommit statements only), so there is nothing to reset."""


def _translate_asyncpg(err: Exception, sql: str) -> exc.DBAPIError:
    """SQLAlchemy's type for an asyncpg error met inside a unit (code there may catch `exc.IntegrityError`); built
    without the bound parameters (interaction tokens live in them) — `translated_errors` maps it at the edge."""
    import asyncpg

    kind: type[exc.DBAPIError] = exc.DBAPIError
    if isinstance(err, asyncpg.IntegrityConstraintViolationError):
        kind = exc.IntegrityError
    elif isinstance(err, (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError)):
        kind = exc.OperationalError
    return kind(sql, None, err, hide_parameters=True)


def sqlite_path(url: URL) -> str:
    path = url.database or ""
    if not path or path == ":memory:":
        raise JobQueueError("SQLite needs a database file (several connections and processes share it), not :memory:")
    return path


def create_database(url: str) -> Database:
    """A `Database` for an SQLAlchemy URL (`sqlite+aiosqlite:///file`, `postgresql+asyncpg://…`)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        sync = str(parsed.query.get("synchronous", "NORMAL")).upper()
        if sync not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise JobQueueError(f"?synchronous={sync} in the SQLite URL: use NORMAL (default) or FULL")
        return SqliteDatabase(sqlite_path(parsed), sync)
    if backend == "postgresql":
        return PostgresDatabase(parsed.set(drivername="postgresql+asyncpg"))
    raise JobQueueError(f"unsupported database URL {safe_url(url)}: use sqlite+aiosqlite:/// or postgresql+asyncpg://")
