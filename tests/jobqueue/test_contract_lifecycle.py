"""Contract: the life of a job (claim, heartbeat, complete, fail, release, cancel, reap) on every JobStore."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from jobqueue import InvalidTransition, JobNotFound, JobProgress, JobState, JobStore, LeaseLost
from tests.jobqueue.helpers import FakeClock, submit


async def test_enqueue_returns_a_queued_job_with_its_fields(store: JobStore) -> None:
    job = await submit(store, 7, guild_id=70, priority=2, batch_key="fast:64", max_attempts=5)
    assert job.state is JobState.QUEUED
    assert (job.user_id, job.guild_id, job.priority, job.batch_key, job.max_attempts) == (7, 70, 2, "fast:64", 5)
    assert job.attempts == 0 and job.created_at is not None
    again = await store.get(job.id)
    assert again.params == {"preset": "fast", "size": 64}
    assert again.style_shas == job.style_shas and len(again.style_shas) == 1
    assert again.content_sha == job.content_sha


async def test_get_unknown_job_raises_job_not_found(store: JobStore) -> None:
    with pytest.raises(JobNotFound):
        await store.get(424242)


async def test_claim_marks_running_with_a_lease_and_counts_the_attempt(store: JobStore, clock: FakeClock) -> None:
    job = await submit(store)
    [claimed] = await store.claim("w1", lease_seconds=30)
    assert claimed.id == job.id and claimed.state is JobState.RUNNING
    assert claimed.attempts == 1 and claimed.lease_owner == "w1" and claimed.lease_token
    assert claimed.lease_expires_at == clock.now + timedelta(seconds=30)
    assert claimed.started_at == clock.now
    assert await store.claim("w2", lease_seconds=30) == []


async def test_claim_on_empty_queue_returns_nothing(store: JobStore) -> None:
    assert await store.claim("w1", lease_seconds=30) == []


async def test_complete_stores_the_result_and_meta(store: JobStore) -> None:
    await submit(store)
    [job] = await store.claim("w1", lease_seconds=30)
    done = await store.complete(job, result=b"result-bytes", meta={"seconds": 1.5})
    assert done.state is JobState.SUCCEEDED and done.finished_at is not None
    assert await store.get_blob(done.result_sha) == b"result-bytes"
    assert (await store.get(job.id)).result_meta == {"seconds": 1.5}


async def test_complete_records_the_final_progress_and_keeps_the_stored_preview(
    store: JobStore, clock: FakeClock
) -> None:
    await submit(store)
    [job] = await store.claim("w1", lease_seconds=30)
    preview = await store.put_blob(b"preview")
    await store.heartbeat(job, lease_seconds=30, progress=JobProgress(step=2, total=3, preview_sha=preview))
    clock.advance(2)
    done = await store.complete(job, result=b"r", meta={}, progress=JobProgress(step=3, total=3, loss=0.25))
    for seen in (done, await store.get(job.id)):
        assert seen.progress is not None and (seen.progress.step, seen.progress.total) == (3, 3)
        assert seen.progress.loss == pytest.approx(0.25) and seen.progress.preview_sha == preview
        assert seen.progress.updated_at == clock.now


async def test_complete_without_progress_keeps_the_last_heartbeat_s(store: JobStore) -> None:
    await submit(store)
    [job] = await store.claim("w1", lease_seconds=30)
    await store.heartbeat(job, lease_seconds=30, progress=JobProgress(step=2, total=3))
    await store.complete(job, result=b"r", meta={})
    progress = (await store.get(job.id)).progress
    assert progress is not None and (progress.step, progress.total) == (2, 3)


async def test_heartbeat_extends_the_lease_and_stores_progress(store: JobStore, clock: FakeClock) -> None:
    await submit(store)
    [job] = await store.claim("w1", lease_seconds=10)
    clock.advance(5)
    assert await store.heartbeat(job, lease_seconds=10, progress=JobProgress(step=3, total=10, loss=0.5)) is False
    now = await store.get(job.id)
    assert now.progress is not None and (now.progress.step, now.progress.total) == (3, 10)
    assert now.progress.loss == pytest.approx(0.5)
    assert now.lease_expires_at == clock.now + timedelta(seconds=10)
    assert now.heartbeat_at == clock.now


async def test_retryable_failure_requeues_with_backoff(store: JobStore, clock: FakeClock) -> None:
    await submit(store, max_attempts=3)
    [job] = await store.claim("w1", lease_seconds=30)
    failed = await store.fail(job, error="CUDA out of memory", retryable=True)
    assert failed.state is JobState.QUEUED and failed.error == "CUDA out of memory"
    assert await store.claim("w1", lease_seconds=30) == []  # backoff: 2 s after the first attempt
    clock.advance(2.5)
    [again] = await store.claim("w1", lease_seconds=30)
    assert again.attempts == 2


async def test_retryable_failure_on_the_last_attempt_is_dead(store: JobStore, clock: FakeClock) -> None:
    await submit(store, max_attempts=1)
    [job] = await store.claim("w1", lease_seconds=30)
    dead = await store.fail(job, error="boom", retryable=True)
    assert dead.state is JobState.DEAD and dead.error == "boom" and dead.finished_at is not None


async def test_permanent_failure_is_failed_at_once(store: JobStore) -> None:
    await submit(store, max_attempts=3)
    [job] = await store.claim("w1", lease_seconds=30)
    failed = await store.fail(job, error="image too small", retryable=False)
    assert failed.state is JobState.FAILED and failed.attempts == 1


async def test_release_requeues_without_burning_an_attempt(store: JobStore) -> None:
    await submit(store)
    [job] = await store.claim("w1", lease_seconds=30)
    released = await store.release(job)
    assert released.state is JobState.QUEUED and released.attempts == 0 and released.lease_token is None
    [again] = await store.claim("w2", lease_seconds=30)
    assert again.attempts == 1 and again.lease_owner == "w2"


async def test_cancel_queued_job_is_immediate(store: JobStore) -> None:
    job = await submit(store)
    cancelled = await store.cancel(job.id, by=99)
    assert cancelled.state is JobState.CANCELLED and cancelled.finished_at is not None
    assert cancelled.cancelled_by == 99
    assert await store.claim("w1", lease_seconds=30) == []


async def test_cancel_running_job_sets_the_flag_that_heartbeat_returns(store: JobStore) -> None:
    await submit(store)
    [job] = await store.claim("w1", lease_seconds=30)
    flagged = await store.cancel(job.id)
    assert flagged.state is JobState.RUNNING and flagged.cancel_requested
    assert await store.heartbeat(job, lease_seconds=30) is True
    done = await store.mark_cancelled(job)
    assert done.state is JobState.CANCELLED


@pytest.mark.parametrize("final", ["complete", "fail"])
async def test_cancel_terminal_job_is_an_invalid_transition(store: JobStore, final: str) -> None:
    await submit(store)
    [job] = await store.claim("w1", lease_seconds=30)
    if final == "complete":
        await store.complete(job, result=b"r", meta={})
    else:
        await store.fail(job, error="x", retryable=False)
    with pytest.raises(InvalidTransition):
        await store.cancel(job.id)


async def test_retry_requeues_failed_job_with_attempts_reset(store: JobStore) -> None:
    await submit(store, max_attempts=1)
    [job] = await store.claim("w1", lease_seconds=30)
    await store.fail(job, error="x", retryable=True)
    await store.mark_delivered(job.id)
    again = await store.retry(job.id)
    assert again.state is JobState.QUEUED and again.attempts == 0 and again.delivered_at is None
    assert again.error is None
    [claimed] = await store.claim("w1", lease_seconds=30)
    assert claimed.id == job.id


async def test_retry_of_queued_or_succeeded_job_is_invalid(store: JobStore) -> None:
    job = await submit(store)
    with pytest.raises(InvalidTransition):
        await store.retry(job.id)
    [claimed] = await store.claim("w1", lease_seconds=30)
    await store.complete(claimed, result=b"r", meta={})
    with pytest.raises(InvalidTransition):
        await store.retry(job.id)


async def test_lease_expiry_is_reaped_back_to_the_queue_with_backoff(store: JobStore, clock: FakeClock) -> None:
    await submit(store, max_attempts=3)
    [job] = await store.claim("w1", lease_seconds=10)
    clock.advance(9)
    assert await store.reap_expired() == 0
    clock.advance(2)
    assert await store.reap_expired() == 1
    reaped = await store.get(job.id)
    assert reaped.state is JobState.QUEUED and "lease expired" in (reaped.error or "")
    assert await store.claim("w2", lease_seconds=10) == []
    clock.advance(2.5)
    [again] = await store.claim("w2", lease_seconds=10)
    assert again.attempts == 2


async def test_lease_expiry_on_the_last_attempt_is_dead_with_the_error(store: JobStore, clock: FakeClock) -> None:
    await submit(store, max_attempts=1)
    [job] = await store.claim("w1", lease_seconds=10)
    clock.advance(11)
    assert await store.reap_expired() == 1
    dead = await store.get(job.id)
    assert dead.state is JobState.DEAD and "lease expired" in (dead.error or "")


async def test_time_limit_fails_a_job_that_runs_too_long(store: JobStore, clock: FakeClock) -> None:
    await submit(store, time_limit_seconds=60)
    [job] = await store.claim("w1", lease_seconds=10)
    for _ in range(5):
        clock.advance(9)
        await store.heartbeat(job, lease_seconds=10)
    assert await store.reap_expired() == 0
    clock.advance(9)
    await store.heartbeat(job, lease_seconds=10)
    clock.advance(9)
    assert await store.reap_expired() == 1
    failed = await store.get(job.id)
    assert failed.state is JobState.FAILED and "time limit" in (failed.error or "")


@pytest.mark.parametrize("write", ["heartbeat", "complete", "fail", "release", "mark_cancelled"])
async def test_writes_with_a_lost_lease_raise_lease_lost(store: JobStore, clock: FakeClock, write: str) -> None:
    await submit(store, max_attempts=3)
    [stale] = await store.claim("w1", lease_seconds=10)
    clock.advance(11)
    await store.reap_expired()
    clock.advance(5)
    [fresh] = await store.claim("w2", lease_seconds=10)
    assert fresh.id == stale.id
    calls = {
        "heartbeat": lambda: store.heartbeat(stale, lease_seconds=10),
        "complete": lambda: store.complete(stale, result=b"old", meta={}),
        "fail": lambda: store.fail(stale, error="old", retryable=True),
        "release": lambda: store.release(stale),
        "mark_cancelled": lambda: store.mark_cancelled(stale),
    }
    with pytest.raises(LeaseLost):
        await calls[write]()
    done = await store.complete(fresh, result=b"new", meta={})
    assert await store.get_blob(done.result_sha) == b"new"


async def test_completing_twice_raises_lease_lost(store: JobStore) -> None:
    await submit(store)
    [job] = await store.claim("w1", lease_seconds=30)
    await store.complete(job, result=b"r", meta={})
    with pytest.raises(LeaseLost):
        await store.complete(job, result=b"r2", meta={})


async def test_concurrent_claimers_never_share_a_job(store: JobStore) -> None:
    ids = {(await submit(store, u % 5)).id for u in range(40)}
    seen: list[int] = []

    async def claimer(name: str) -> None:
        while jobs := await store.claim(name, lease_seconds=30):
            for job in jobs:
                seen.append(job.id)
                await store.complete(job, result=b"r", meta={})

    await asyncio.wait_for(asyncio.gather(*(claimer(f"w{i}") for i in range(8))), 60)
    assert sorted(seen) == sorted(ids)


async def test_claim_limit_and_batch_key(store: JobStore) -> None:
    for i in range(3):
        await submit(store, i, batch_key="fast:64")
    await submit(store, 9, batch_key="slow:512")
    got = await store.claim("w1", lease_seconds=30, limit=5, batch_key="fast:64")
    assert len(got) == 3 and {j.batch_key for j in got} == {"fast:64"}
    assert len({j.lease_token for j in got}) >= 1
    [other] = await store.claim("w1", lease_seconds=30, limit=5)
    assert other.batch_key == "slow:512"


async def test_the_claimers_default_time_limit_applies_to_jobs_without_their_own(
    store: JobStore, clock: FakeClock
) -> None:
    from dataclasses import replace

    store.options = replace(store.options, job_time_limit=30)  # type: ignore[attr-defined]
    await submit(store)
    [job] = await store.claim("w1", lease_seconds=100)
    clock.advance(29)
    assert await store.reap_expired() == 0
    clock.advance(2)
    assert await store.reap_expired() == 1
    failed = await store.get(job.id)
    assert failed.state is JobState.FAILED and "time limit of 30 s" in (failed.error or "")
