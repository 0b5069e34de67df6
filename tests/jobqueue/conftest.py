"""Fixtures for the job-queue contract suite: one `store` fixture per implementation, a clock tests can move.

`store` is parametrized over InMemoryJobStore, SqlJobStore on a SQLite file and SqlJobStore on PostgreSQL (a
throwaway cluster from tests/pg.py; skipped with a reason where the binaries are missing, unless
STYLEBOT_REQUIRE_POSTGRES=1).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from jobqueue import JobStore
from jobqueue.testing import InMemoryJobStore
from tests.jobqueue.helpers import FakeClock, store_options


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


STORE_KINDS = ["memory", "sqlite", "postgres"]


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Any) -> AsyncIterator[JobStore]:
    kind = request.param
    if kind == "memory":
        yield InMemoryJobStore(store_options(clock))
        return
    from tests.jobqueue.sqlstores import make_sql_store

    async with make_sql_store(request, kind, tmp_path, store_options(clock)) as sql_store:
        yield sql_store
