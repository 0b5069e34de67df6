"""Fixtures of the stylebot (entry point) tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jobqueue import JobStore, open_store


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[tuple[str, JobStore]]:
    """A migrated SQLite database in `tmp_path`: its URL (for the processes under test) and a store open on it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'stylebot.db'}"
    store = await open_store(url, migrate=True)
    try:
        yield url, store
    finally:
        await store.close()
