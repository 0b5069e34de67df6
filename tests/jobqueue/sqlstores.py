"""Open `SqlJobStore`s for the contract suite: a fresh SQLite file, or a fresh database in the session's PostgreSQL."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from jobqueue import KeptRefs, SqlJobStore, StoreOptions, open_store
from tests.pg import fresh_database


@contextlib.asynccontextmanager
async def make_sql_store(
    request: pytest.FixtureRequest, kind: str, tmp_path: Path, options: StoreOptions, kept: KeptRefs[Any] | None = None
) -> AsyncIterator[SqlJobStore]:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = await fresh_database(server, f"t_{uuid.uuid4().hex[:12]}")
    store = await open_store(url, options=options, kept=kept)
    try:
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def room_stores(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    options: StoreOptions,
    *,
    memory: Callable[[StoreOptions], tuple[Any, Any]],
    kept: KeptRefs[Any],
    room: Callable[[SqlJobStore], Any],
) -> AsyncIterator[tuple[Any, Any]]:
    """A job store and a feature's store on it (challenges, styles) for `request.param` ("memory", "sqlite",
    "postgres"): `memory(options)` wires the fakes, `room(jobs)` builds the SQL store on a store opened with `kept`."""
    if request.param == "memory":
        yield memory(options)
        return
    async with make_sql_store(request, request.param, tmp_path, options, kept) as jobs:
        yield jobs, room(jobs)
