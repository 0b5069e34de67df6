"""The per-server style cap under real concurrency: many `/style add` at once, from several processes' stores on one
database (a SQLite file, and PostgreSQL where its binaries exist), never leave more styles than the cap."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

import jobqueue
from jobqueue import NewStyle, SqlJobStore, SqlStyleStore, StyleLimitReached, style_kept_refs
from tests.jobqueue.helpers import PNG
from tests.pg import fresh_database

GUILD, OTHER_GUILD, ORGANISER = 10, 11, 30
CAP, ATTEMPTS, STORES = 5, 40, 4


async def _url(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'styles.db'}"
    server = request.getfixturevalue("postgres_server")
    return await fresh_database(server, f"t_{uuid.uuid4().hex[:12]}")


async def _add(store: SqlJobStore, guild_id: int, n: int) -> str:
    styles = SqlStyleStore(store)
    sha = await store.put_blob(PNG + f"style {guild_id} {n}".encode())
    new = NewStyle(guild_id=guild_id, name=f"Style {n}", sha=sha, added_by=ORGANISER, owner_id=ORGANISER)
    try:
        await styles.add(new, max_styles=CAP)
    except StyleLimitReached:
        return "full"
    return "added"


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_concurrent_adds_never_exceed_the_cap(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> None:
    url = await _url(request, kind, tmp_path)
    kept = style_kept_refs()
    stores = [await jobqueue.open_store(url, kept=kept, migrate=n == 0) for n in range(STORES)]
    try:
        for round_ in range(3):  # each round a fresh server whose library starts empty
            guild = GUILD + 100 * round_
            adds = [_add(stores[n % STORES], guild, n) for n in range(ATTEMPTS)]
            adds += [_add(stores[n % STORES], guild + 1, n) for n in range(CAP)]  # another server is not held up
            outcomes = await asyncio.gather(*adds)
            assert outcomes[:ATTEMPTS].count("added") == CAP
            assert outcomes[ATTEMPTS:] == ["added"] * CAP
            listed = await SqlStyleStore(stores[0]).list_styles(guild)
            assert len(listed) == CAP
    finally:
        for store in stores:
            await store.close()
