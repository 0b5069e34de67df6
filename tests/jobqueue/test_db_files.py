"""Data at rest: the SQLite database, its WAL and shared-memory files and its directory are owner-only, whatever the
umask; files left open to others by an older version are tightened when the store opens them."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobqueue import open_store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


async def test_a_new_database_its_wal_shm_and_directory_are_owner_only(tmp_path: Path, umask: int) -> None:
    data = tmp_path / "data" / "nested"
    db = data / "stylebot.db"
    store = await open_store(f"sqlite+aiosqlite:///{db}")
    try:
        await store.put_blob(b"a member's image")  # the WAL and the shared-memory file exist while it is open
        files = [db, db.with_name("stylebot.db-wal"), db.with_name("stylebot.db-shm")]
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(data) == mode(data.parent) == 0o700
        assert mode(db.with_name("stylebot.db.migrate.lock")) == 0o600
    finally:
        await store.close()


async def test_an_existing_database_open_to_others_is_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "stylebot.db"
    await (await open_store(f"sqlite+aiosqlite:///{db}")).close()
    db.chmod(0o644)  # e.g. created by an older version under umask 022
    caplog.set_level(logging.WARNING)
    store = await open_store(f"sqlite+aiosqlite:///{db}", migrate=False)
    await store.close()
    assert mode(db) == 0o600
    assert "tightened it to owner-only" in caplog.text
