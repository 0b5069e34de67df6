"""Fixtures of the delivery tests: the local Discord stand-in (real sockets, unmodified discord.py), and a job store
on a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jobqueue import JobStore, open_store
from tests.standin.fixtures import bot, rest_client, world

__all__ = ["bot", "rest_client", "sql_store", "world"]


@pytest.fixture
async def sql_store(tmp_path: Path) -> AsyncIterator[JobStore]:
    """A migrated `SqlJobStore` on a SQLite file in `tmp_path`."""
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'delivery.db'}")
    try:
        yield store
    finally:
        await store.close()
