"""Helpers of the job-queue tests (importable by other areas' tests: `from tests.jobqueue.helpers import ...`)."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from typing import Any

from jobqueue import DatabaseUnavailable, JobStore, NewJob, StoreOptions
from jobqueue.testing import InMemoryJobStore

PNG = b"\x89PNG\r\n\x1a\n" + b"content"


class FakeClock:
    """A clock that only moves when told (lease expiry, backoff and retention without sleeping)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def store_options(clock: FakeClock) -> StoreOptions:
    return StoreOptions(retry_backoff_base=2.0, retry_backoff_max=60.0, clock=clock)


async def submit(
    store: JobStore, user_id: int = 1, *, guild_id: int | None = None, limits: Any = None, **kw: Any
) -> Any:
    """Store a content and a style blob and enqueue a job for `user_id`."""
    content = await store.put_blob(PNG + str(user_id).encode())
    style = await store.put_blob(PNG + b"style")
    new = NewJob(
        user_id=user_id,
        content_sha=content,
        style_shas=(style,),
        params={"preset": "fast", "size": 64},
        guild_id=guild_id,
        **kw,
    )
    return await store.enqueue(new, limits=limits)


class OutageStore(InMemoryJobStore):
    """`InMemoryJobStore` whose every public call raises `DatabaseUnavailable` while `down` (a restarting server);
    `refused` counts the calls it turned away."""

    down = False
    refused = 0

    def __getattribute__(self, name: str) -> Any:
        attr = super().__getattribute__(name)
        if name.startswith("_") or not inspect.iscoroutinefunction(attr) or not super().__getattribute__("down"):
            return attr

        async def refuse(*_args: Any, **_kw: Any) -> Any:
            self.refused += 1
            raise DatabaseUnavailable("postgresql://db/stylebot", "the database system is starting up (SQLSTATE 57P03)")

        return refuse
