"""Fault isolation in the real `Worker` loop (in-memory store, real clock): a batch handler that raises for the whole
batch costs no job its last chance, its jobs run alone next, and an engine whose claims keep crashing stops claiming
and says why instead of draining the queue into `failed`/`dead`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from jobqueue import BatchHandler, HandlerResult, Job, JobContext, JobState, PermanentError, Worker
from jobqueue.testing import InMemoryJobStore
from tests.jobqueue.test_worker import FAST, OPTIONS, submit


class CudaError(RuntimeError):
    """What a device failure looks like to the worker: an exception that is no job's own outcome."""


def poisoned_batches(poison: set[int], runs: list[list[int]], error: Callable[[], BaseException]) -> BatchHandler:
    """A batch handler that raises `error()` for the whole claim whenever a poison job is in it."""

    async def batch(jobs: Sequence[Job], contexts: Sequence[JobContext]) -> list[HandlerResult | BaseException]:
        runs.append([job.id for job in jobs])
        if poison & {job.id for job in jobs}:
            raise error()
        return [HandlerResult(result=b"ok %d" % job.id) for job in jobs]

    return batch


async def test_a_batch_that_raises_as_a_whole_is_retried_alone_and_only_the_poison_job_fails() -> None:
    store = InMemoryJobStore(OPTIONS)
    jobs = await submit(store, 4, batch_key="fast:64", max_attempts=2)
    poison = jobs[2].id
    runs: list[list[int]] = []
    batch = poisoned_batches({poison}, runs, lambda: CudaError("CUDA error: an illegal memory access was encountered"))
    worker = Worker(store, batch_handler=batch, batch_size=4, unhealthy_after=3, **FAST)
    stats = await asyncio.wait_for(worker.run_until_idle(), 30)

    assert runs[0] == [j.id for j in jobs]  # batched once ...
    assert all(len(run) == 1 for run in runs[1:])  # ... then every job alone
    for job in jobs:
        final = await store.get(job.id)
        assert final.crashes == 1 and final.attempts == 2
        assert final.state == (JobState.DEAD if job.id == poison else JobState.SUCCEEDED)
    assert "CUDA error" in ((await store.get(poison)).error or "")
    assert stats.succeeded == 3 and worker.unhealthy is None


async def test_a_permanent_error_escaping_the_batch_handler_fails_no_batch_mate() -> None:
    store = InMemoryJobStore(OPTIONS)
    jobs = await submit(store, 3, batch_key="fast:64")
    runs: list[list[int]] = []
    batch = poisoned_batches({jobs[0].id}, runs, lambda: PermanentError("out of memory"))
    await asyncio.wait_for(Worker(store, batch_handler=batch, batch_size=3, **FAST).run_until_idle(), 30)
    states = [(await store.get(job.id)).state for job in jobs]
    assert states == [JobState.FAILED, JobState.SUCCEEDED, JobState.SUCCEEDED]  # alone, the poison job's own verdict


async def test_an_engine_whose_claims_keep_crashing_stops_claiming_and_reports_why() -> None:
    store = InMemoryJobStore(OPTIONS)
    jobs = await submit(store, 6, batch_key="fast:64", max_attempts=3)
    runs: list[list[int]] = []
    every = {job.id for job in jobs}
    batch = poisoned_batches(every, runs, lambda: CudaError("CUDA error: device lost"))
    worker = Worker(store, batch_handler=batch, batch_size=4, unhealthy_after=3, **FAST)
    await asyncio.wait_for(worker.run_until_idle(), 30)  # burst mode returns once unhealthy

    assert [len(run) for run in runs] == [4, 2, 1]  # three claims in a row crashed, on several jobs
    assert worker.unhealthy is not None and "CudaError: CUDA error: device lost" in worker.unhealthy
    finals = [await store.get(job.id) for job in jobs]
    assert all(job.state == JobState.QUEUED for job in finals)  # nothing drained into failed/dead
    assert sum(job.attempts for job in finals) == 4 + 2 + 1


async def test_one_poison_job_retried_alone_in_an_idle_queue_does_not_make_the_engine_unhealthy() -> None:
    store = InMemoryJobStore(OPTIONS)
    [job] = await submit(store, 1, max_attempts=3)

    async def crash(job: Job, ctx: JobContext) -> HandlerResult:
        raise CudaError("CUDA error: misaligned address")

    worker = Worker(store, crash, unhealthy_after=2, **FAST)
    await asyncio.wait_for(worker.run_until_idle(), 30)
    assert (await store.get(job.id)).state == JobState.DEAD
    assert worker.unhealthy is None


async def test_a_success_resets_the_crash_streak() -> None:
    store = InMemoryJobStore(OPTIONS)
    jobs = await submit(store, 4, max_attempts=1)
    bad = {jobs[0].id, jobs[1].id, jobs[3].id}

    async def flaky(job: Job, ctx: JobContext) -> HandlerResult:
        if job.id in bad:
            raise CudaError("CUDA error: launch failure")
        return HandlerResult(result=b"ok")

    worker = Worker(store, flaky, unhealthy_after=3, **FAST)
    await asyncio.wait_for(worker.run_until_idle(), 30)
    assert worker.unhealthy is None
    assert [(await store.get(j.id)).state for j in jobs] == [JobState.DEAD] * 2 + [JobState.SUCCEEDED, JobState.DEAD]
