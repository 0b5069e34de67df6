"""Retention: finished jobs' images and results go after STYLEBOT_RETENTION_DAYS; queued and recent ones stay.
Interaction tokens go after 15 minutes, whatever the retention age."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import pytest

from jobqueue import BlobNotFound, DeliveryTarget, TargetKind
from jobqueue.testing import InMemoryJobStore
from stylebot.retention import DAY_SECONDS, expire_tokens_once, prune_once, run_retention
from tests.jobqueue.helpers import FakeClock, store_options, submit


async def _finished_job(store: InMemoryJobStore) -> tuple[str, str]:
    """A job that ran and succeeded (no delivery target); its content and result shas."""
    job = await submit(store, user_id=7)
    (claimed,) = await store.claim("w1", lease_seconds=30)
    done = await store.complete(claimed, result=b"\x89PNG result", meta={})
    assert job.id == done.id
    return done.content_sha, done.result_sha


async def test_prune_keeps_recent_results_and_deletes_them_after_the_retention_age(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    store = InMemoryJobStore(store_options(clock))
    content, result = await _finished_job(store)
    clock.advance(2 * DAY_SECONDS)
    queued = await submit(store, user_id=8)  # queued now: must survive any retention age

    assert await prune_once(store, retention_days=3) == 0
    assert await store.get_blob(result) == b"\x89PNG result"

    clock.advance(2 * DAY_SECONDS)  # the finished job is 4 days old now
    with caplog.at_level(logging.INFO, logger="stylebot.retention"):
        removed = await prune_once(store, retention_days=3)
    assert removed == 2  # its content image and its result; the style blob is shared with the queued job
    for sha in (content, result):
        with pytest.raises(BlobNotFound):
            await store.get_blob(sha)
    assert await store.get_blob(queued.content_sha)
    assert await store.get_blob(queued.style_shas[0])
    assert "pruned 2 stored images/results older than 3 days" in caplog.text


async def test_prune_refuses_a_negative_age() -> None:
    with pytest.raises(ValueError, match="retention_days"):
        await prune_once(InMemoryJobStore(), retention_days=-1)


async def _serve_until(done: asyncio.Event, store: InMemoryJobStore, **kw: Any) -> None:
    """Run the retention service until `done` is set (5 s at most), then cancel it."""
    task = asyncio.create_task(run_retention(store, **kw))
    try:
        await asyncio.wait_for(done.wait(), 5)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_the_service_prunes_periodically_and_survives_a_failed_pass(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    store = InMemoryJobStore(store_options(clock))
    await _finished_job(store)
    clock.advance(10 * DAY_SECONDS)
    real_gc, calls, counts = store.gc, [], []
    two_passes = asyncio.Event()

    def pruned(n: int) -> None:
        counts.append(n)
        if len(counts) >= 2:
            two_passes.set()

    async def flaky_gc(*, retention_seconds: float) -> int:
        calls.append(retention_seconds)
        if len(calls) == 1:
            raise ConnectionError("database away for a moment")
        return await real_gc(retention_seconds=retention_seconds)

    store.gc = flaky_gc  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="stylebot.retention"):
        await _serve_until(two_passes, store, retention_days=1, interval=0.01, on_pruned=pruned)
    assert calls[0] == DAY_SECONDS
    assert counts[:2] == [3, 0]  # the old job's content, style and result, then nothing
    assert "retention pass failed" in caplog.text


async def _run_token_passes(store: InMemoryJobStore, passes: int = 2, **kw: Any) -> None:
    """Run the service until it has swept the tokens `passes` times."""
    real, calls, enough = store.expire_interaction_tokens, [], asyncio.Event()

    async def counted(**sweep: Any) -> int:
        n = await real(**sweep)
        calls.append(n)
        if len(calls) >= passes:
            enough.set()
        return n

    store.expire_interaction_tokens = counted  # type: ignore[method-assign]
    await _serve_until(enough, store, **kw)


async def test_retention_zero_keeps_images_but_still_drops_expired_interaction_tokens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    store = InMemoryJobStore(store_options(clock))
    content, result = await _finished_job(store)
    target = DeliveryTarget(TargetKind.INTERACTION, 1, 2, "interaction-token", token_created_at=clock.now, channel_id=3)
    job = await submit(store, user_id=9, target=target)
    clock.advance(10 * DAY_SECONDS)

    with caplog.at_level(logging.INFO, logger="stylebot.retention"):
        await _run_token_passes(store, retention_days=0, interval=0.01, token_interval=0.01)
    assert (await store.get(job.id)).target.interaction_token is None
    assert "retention is off" in caplog.text and "dropped 1 expired interaction tokens" in caplog.text
    assert await store.get_blob(content) and await store.get_blob(result)  # images are kept all the same


async def test_the_service_drops_tokens_older_than_fifteen_minutes_only() -> None:
    clock = FakeClock()
    store = InMemoryJobStore(store_options(clock))
    target = DeliveryTarget(TargetKind.INTERACTION, 1, 2, "interaction-token", token_created_at=clock.now, channel_id=3)
    old = await submit(store, user_id=1, target=target)
    clock.advance(16 * 60)
    young = await submit(store, user_id=2, target=replace(target, token_created_at=clock.now))

    await _run_token_passes(store, retention_days=14, token_interval=0.01)
    assert (await store.get(old.id)).target.interaction_token is None
    assert (await store.get(young.id)).target.interaction_token == "interaction-token"
    assert await expire_tokens_once(store) == 0
