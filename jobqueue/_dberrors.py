"""Driver errors → `jobqueue.errors`, once, at the edge of `jobqueue._db`.

`translate(err, url)` sorts what SQLite (`sqlite3`), asyncpg and SQLAlchemy raise into:

- `DatabaseUnavailable` (a `RetryableError`: wait and try again): the server cannot be reached or refuses
  connections (SQLSTATE classes 08 connection exception, 53 insufficient resources — 53300 too many connections,
  53100 disk full —, 57P0x operator intervention such as a restart, 55000 "not currently accepting connections",
  25006 read-only after a fail-over, 40001/40P01 serialization failure or deadlock), a pool or connect timeout,
  SQLite `database is locked` past its busy budget, SQLITE_FULL (the message says the disk is full), I/O errors and
  a closed connection;
- `ConstraintViolation` (class 23, SQLite's IntegrityError) and `DatabaseError` for everything else: permanent.

Messages carry the driver's own message only (never the statement or its bound parameters, where interaction tokens
live); the engines are created with `hide_parameters=True`, so the chained SQLAlchemy error hides them as well.
PostgreSQL adds row values of its own to an error's DETAIL ("Failing row contains (…)", "Key (…)=(…)"), which asyncpg
and SQLAlchemy copy into their messages: `translate` strips the DETAIL from every error of the chain it raises from.
Anything that is not a database error (our own errors, bugs) is returned as `None` and goes on unchanged.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from sqlalchemy import exc

from jobqueue.errors import ConstraintViolation, DatabaseError, DatabaseUnavailable, JobQueueError

__all__ = ["is_busy", "translate", "translated_errors"]

_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_SQLITE_UNAVAILABLE = {sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOMEM}
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57")
_PG_UNAVAILABLE = {"55000", "55006", "25006", "40001", "40P01", "58030"}
DISK_FULL = "the disk is full (free space where the database lives, then it carries on)"


def is_busy(err: BaseException) -> bool:
    """SQLite's SQLITE_BUSY/SQLITE_LOCKED: another connection holds the lock."""
    orig = getattr(err, "orig", err)
    return isinstance(orig, sqlite3.OperationalError) and (
        getattr(orig, "sqlite_errorcode", None) in _BUSY_CODES or "locked" in str(orig)
    )


def _driver_error(err: BaseException) -> BaseException:
    """The driver's own exception: SQLAlchemy wraps it in `.orig`, its asyncpg adapter once more in `__cause__`."""
    orig = getattr(err, "orig", None) or err
    cause = orig.__cause__
    if cause is not None and type(cause).__module__.startswith("asyncpg"):
        return cause
    return orig


def _is_database_error(err: BaseException) -> bool:
    return isinstance(err, exc.StatementError | exc.TimeoutError | sqlite3.Error | OSError | TimeoutError) or (
        type(err).__module__.startswith("asyncpg")
    )


def _sqlite(err: sqlite3.Error, url: str) -> JobQueueError:
    code = getattr(err, "sqlite_errorcode", None)
    reason = str(err)
    if code == sqlite3.SQLITE_FULL or "disk is full" in reason:
        return DatabaseUnavailable(url, DISK_FULL, disk_full=True)
    if is_busy(err):
        return DatabaseUnavailable(url, f"{reason} (another process held the write lock too long)")
    if isinstance(err, sqlite3.IntegrityError):
        return ConstraintViolation(url, reason)
    if code in _SQLITE_UNAVAILABLE or (isinstance(err, sqlite3.ProgrammingError) and "closed" in reason):
        return DatabaseUnavailable(url, reason)
    if isinstance(err, sqlite3.OperationalError) and code is None:  # e.g. "unable to open database file"
        return DatabaseUnavailable(url, reason)
    return DatabaseError(url, reason)


def _postgres(err: BaseException, url: str) -> JobQueueError:
    state = str(getattr(err, "sqlstate", None) or "")
    message = str(err.args[0]) if err.args else type(err).__name__
    reason = f"{message} (SQLSTATE {state})" if state else message
    if state == "53100":
        return DatabaseUnavailable(url, f"{DISK_FULL}: {reason}", disk_full=True)
    if state.startswith(_PG_UNAVAILABLE_CLASSES) or state in _PG_UNAVAILABLE:
        return DatabaseUnavailable(url, reason)
    if state.startswith("23"):
        return ConstraintViolation(url, reason)
    if state:
        return DatabaseError(url, reason)
    return DatabaseUnavailable(url, reason)  # no SQLSTATE: the connection itself failed (closed, reset, timed out)


def _scrub(err: BaseException) -> None:
    """Drop PostgreSQL's DETAIL (row values) from `err` and the errors it wraps, in place."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [err]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if getattr(e, "detail", None) and isinstance(e.detail, str):  # asyncpg's error, SQLAlchemy's adapter
            e.detail = None  # type: ignore[attr-defined]
        if e.args and isinstance(e.args[0], str) and "\nDETAIL:" in e.args[0]:
            e.args = (e.args[0].split("\nDETAIL:", 1)[0], *e.args[1:])
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]


def translate(err: BaseException, url: str) -> JobQueueError | None:
    """The `jobqueue.errors` counterpart of a driver error (raise it `from err`), or None if `err` is not one."""
    if not _is_database_error(err):
        return None
    _scrub(err)
    driver = _driver_error(err)
    if isinstance(driver, sqlite3.Error):
        return _sqlite(driver, url)
    if type(driver).__module__.startswith("asyncpg") or hasattr(driver, "sqlstate"):
        return _postgres(driver, url)
    if isinstance(err, exc.IntegrityError):
        return ConstraintViolation(url, str(driver))
    if isinstance(err, exc.OperationalError | exc.InterfaceError | exc.TimeoutError | OSError | TimeoutError) or (
        isinstance(err, exc.DBAPIError) and err.connection_invalidated
    ):
        return DatabaseUnavailable(url, str(driver) or type(driver).__name__)
    return DatabaseError(url, str(driver) or type(driver).__name__)


@contextlib.contextmanager
def translated_errors(url: str) -> Iterator[None]:
    """Raise the `translate`d counterpart of a driver error from the block, chained to it; others pass through."""
    try:
        yield
    except Exception as err:
        mapped = translate(err, url)
        if mapped is None:
            raise
        raise mapped from err
