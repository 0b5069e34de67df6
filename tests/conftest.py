"""Shared fixtures. Tests run on CPU with random VGG weights and synthesized images; nothing is downloaded."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.pg import PostgresServer, drop_created_databases, start_postgres

# Engine tests use seeded random weights; the engine still logs a loud warning when it uses them.
os.environ.setdefault("STYLEBOT_WEIGHTS", "random")
os.environ.setdefault("STYLEBOT_DEVICE", "cpu")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the whole session (tests/pg.py); use `fresh_database` per test."""
    yield from start_postgres()


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """A test's PostgreSQL databases (`fresh_database`) are dropped when it ends, so the server stays small."""
    yield
    drop_created_databases()
