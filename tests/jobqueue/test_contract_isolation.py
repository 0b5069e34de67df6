"""Contract: a job that lost an attempt to a crash of its whole claim is never batched again, on every JobStore.

A worker that dies mid-batch (SIGKILL, OOM-kill, segfault) leaves every job of the batch to the reaper; a batch
handler that raises for the whole batch fails each job with `isolate=True`. Either way the jobs carry `crashes > 0`
and `claim(batch_key=...)` (how a worker gathers batch-mates) skips them: each runs alone, so only the poison job
exhausts its attempts.
"""

from __future__ import annotations

from jobqueue import JobState, JobStore
from tests.jobqueue.helpers import FakeClock, submit


async def _claim_batch(store: JobStore, worker: str, size: int) -> list[int]:
    """How the worker claims: the head of the queue, then batch-mates with its key."""
    head = await store.claim(worker, lease_seconds=10)
    if not head or head[0].crashes:
        return [job.id for job in head]
    mates = await store.claim(worker, lease_seconds=10, limit=size - 1, batch_key=head[0].batch_key)
    return [job.id for job in head + mates]


async def test_a_crash_reaped_job_is_claimed_alone(store: JobStore, clock: FakeClock) -> None:
    ids = [(await submit(store, 1, batch_key="fast:64")).id for _ in range(3)]
    assert sorted(await _claim_batch(store, "w1", 4)) == ids
    clock.advance(11)  # w1 was SIGKILLed: nobody renews the leases
    assert await store.reap_expired() == 3
    reaped = [await store.get(i) for i in ids]
    assert all(j.state is JobState.QUEUED and j.crashes == 1 and j.attempts == 1 for j in reaped)

    clock.advance(5)  # past the retry backoff
    assert await store.claim("w2", lease_seconds=10, limit=3, batch_key="fast:64") == []  # never a batch-mate
    fresh = await submit(store, 2, batch_key="fast:64")
    assert await store.claim("w2", lease_seconds=10, limit=3, batch_key="fast:64") == [await store.get(fresh.id)]
    alone = [await _claim_batch(store, "w2", 4) for _ in ids]
    assert sorted(alone) == [[i] for i in ids]


async def test_a_job_that_never_crashed_is_still_batched(store: JobStore) -> None:
    ids = [(await submit(store, 1, batch_key="fast:64")).id for _ in range(3)]
    assert sorted(await _claim_batch(store, "w1", 4)) == ids
    assert [(await store.get(i)).crashes for i in ids] == [0, 0, 0]


async def test_failing_with_isolate_requeues_the_job_to_run_alone(store: JobStore, clock: FakeClock) -> None:
    for _ in range(2):
        await submit(store, 1, batch_key="fast:64")
    claimed = await store.claim("w1", lease_seconds=10, limit=2, batch_key="fast:64")
    failed = await store.fail(claimed[0], error="batch failed as a whole", retryable=True, isolate=True)
    plain = await store.fail(claimed[1], error="this job's own retryable error", retryable=True)
    assert failed.state is JobState.QUEUED and failed.crashes == 1
    assert plain.state is JobState.QUEUED and plain.crashes == 0
    clock.advance(5)
    [mate] = await store.claim("w2", lease_seconds=10, limit=2, batch_key="fast:64")
    assert mate.id == plain.id


async def test_a_crash_on_the_last_attempt_is_dead_and_counted(store: JobStore, clock: FakeClock) -> None:
    job = await submit(store, max_attempts=1, batch_key="fast:64")
    await store.claim("w1", lease_seconds=10)
    clock.advance(11)
    assert await store.reap_expired() == 1
    dead = await store.get(job.id)
    assert dead.state is JobState.DEAD and dead.crashes == 1
