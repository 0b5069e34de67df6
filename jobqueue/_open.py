"""`open_store`: migrate (under a lock), check the schema version, return a `SqlJobStore`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import make_url

from jobqueue._db import create_database, safe_url, sqlite_path
from jobqueue._migrate import check_schema, upgrade_schema
from jobqueue._policy import KeptRefs, StoreOptions
from jobqueue._sql_store import SqlJobStore
from jobqueue.errors import DatabaseUnavailable, JobQueueError

__all__ = ["open_store"]


async def open_store(
    url: str,
    *,
    migrate: bool = True,
    options: StoreOptions | None = None,
    kept: KeptRefs[Select[Any]] | None = None,
) -> SqlJobStore:
    try:
        parsed = make_url(url)
    except Exception as err:  # sqlalchemy.exc.ArgumentError and friends: say which URL
        raise JobQueueError(f"invalid database URL {url!r}: {err}") from err
    sqlite_file = Path(sqlite_path(parsed)) if parsed.get_backend_name() == "sqlite" else None
    if sqlite_file is not None and not migrate and not sqlite_file.exists():
        raise DatabaseUnavailable(safe_url(url), "no such database file (run `stylebot db upgrade` first)")
    if migrate:
        await upgrade_schema(url)
    await check_schema(url)
    db = await asyncio.to_thread(create_database, url)  # SQLite: connecting may wait for another process's lock
    return SqlJobStore(db, options, kept=kept)
