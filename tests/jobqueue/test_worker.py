"""The real `Worker` loop, mostly in burst mode, with tiny fake handlers, on every store: in-memory, SQLite, PostgreSQL.

The store runs on the real clock (leases, backoff and time limits are real, but tiny), unlike the contract suite's
fake clock: the worker's heartbeats and polls are real timers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from jobqueue import (
    AbortReason,
    HandlerResult,
    Job,
    JobContext,
    JobState,
    JobStore,
    NewJob,
    PermanentError,
    RetryableError,
    StoreOptions,
    Worker,
)
from jobqueue.testing import InMemoryJobStore

FAST = {"poll_interval": 0.02, "lease_seconds": 1.0, "heartbeat_interval": 0.05, "abort_grace": 0.3}
OPTIONS = StoreOptions(retry_backoff_base=0.02, retry_backoff_max=0.1)
STORE_KINDS = ["memory", "sqlite", "postgres"]  # postgres: a throwaway cluster (tests/pg.py), skipped without binaries


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[JobStore]:
    if request.param == "memory":
        yield InMemoryJobStore(OPTIONS)
        return
    from tests.jobqueue.sqlstores import make_sql_store

    async with make_sql_store(request, request.param, tmp_path, OPTIONS) as sql_store:
        yield sql_store


async def submit(store: JobStore, n: int = 1, *, user_id: int = 1, **kw: Any) -> list[Job]:
    jobs = []
    for i in range(n):
        content = await store.put_blob(b"content %d" % i)
        style = await store.put_blob(b"style")
        new = NewJob(user_id=user_id, content_sha=content, style_shas=(style,), params={"n": i}, **kw)
        jobs.append(await store.enqueue(new))
    return jobs


async def echo(job: Job, ctx: JobContext) -> HandlerResult:
    await ctx.report_progress(1, 1, 0.5)
    return HandlerResult(result=b"result of %d" % job.id, meta={"job": job.id})


async def until_aborted(job: Job, ctx: JobContext) -> HandlerResult:
    """A cooperative long job: works in small steps until the worker says stop."""
    for step in range(3000):
        if await ctx.report_progress(step, 3000):
            raise asyncio.CancelledError  # what a handler does on abort does not matter: the reason decides
        await asyncio.sleep(0.01)
    return HandlerResult(result=b"finished")


async def wait_for_state(store: JobStore, job_id: int, *states: JobState) -> Job:
    deadline = time.monotonic() + 10
    while True:
        job = await store.get(job_id)
        if job.state in states:
            return job
        assert time.monotonic() < deadline, f"job {job_id} stayed {job.state}, wanted {states}"
        await asyncio.sleep(0.01)


async def test_burst_worker_runs_every_job_once_and_stores_results(store: JobStore) -> None:
    jobs = await submit(store, 5)
    stats = await asyncio.wait_for(Worker(store, echo, **FAST).run_until_idle(), 30)
    assert stats.succeeded == 5 and stats.claimed == 5
    for job in jobs:
        done = await store.get(job.id)
        assert done.state == JobState.SUCCEEDED and done.attempts == 1
        assert await store.get_blob(done.result_sha) == b"result of %d" % job.id
        assert done.result_meta == {"job": job.id}


async def test_burst_worker_exits_at_once_on_an_empty_queue(store: JobStore) -> None:
    stats = await asyncio.wait_for(Worker(store, echo, **FAST).run_until_idle(), 5)
    assert stats.claimed == 0


async def test_progress_and_preview_are_stored_while_the_job_runs(store: JobStore) -> None:
    seen: list[Any] = []

    async def slow(job: Job, ctx: JobContext) -> HandlerResult:
        await ctx.report_progress(3, 10, 1.5, b"\x89PNG preview")
        for _ in range(100):  # until the heartbeat has stored it
            if ctx.progress is not None:
                break
            await asyncio.sleep(0.02)
        seen.append(await store.get(job.id))
        return HandlerResult(result=b"ok")

    [job] = await submit(store)
    await asyncio.wait_for(Worker(store, slow, **FAST).run_until_idle(), 30)
    progress = seen[0].progress
    assert (progress.step, progress.total, progress.loss) == (3, 10, 1.5)
    assert await store.get_blob(progress.preview_sha) == b"\x89PNG preview"
    assert (await store.get(job.id)).state == JobState.SUCCEEDED


async def test_the_final_progress_step_is_recorded_at_completion(store: JobStore) -> None:
    async def three_steps(job: Job, ctx: JobContext) -> HandlerResult:
        for step in (1, 2, 3):
            await ctx.report_progress(step, 3, 1.0 / step)
        return HandlerResult(result=b"done")  # returns before any heartbeat could store 3/3

    [job] = await submit(store)
    await asyncio.wait_for(Worker(store, three_steps, **{**FAST, "heartbeat_interval": 60}).run_until_idle(), 30)
    done = await store.get(job.id)
    assert done.state == JobState.SUCCEEDED
    assert done.progress is not None and (done.progress.step, done.progress.total) == (3, 3)
    assert done.progress.percent == 100


async def test_cancel_reaches_a_running_job_and_ends_it_cancelled(store: JobStore) -> None:
    [job] = await submit(store)
    worker = Worker(store, until_aborted, **FAST)
    task = asyncio.create_task(worker.run_until_idle())
    await wait_for_state(store, job.id, JobState.RUNNING)
    asked = time.monotonic()
    await store.cancel(job.id, by=7)
    await wait_for_state(store, job.id, JobState.CANCELLED)
    took = time.monotonic() - asked
    stats = await asyncio.wait_for(task, 10)
    assert stats.cancelled == 1 and stats.succeeded == 0
    assert took < 5, f"cancel took {took:.2f} s"  # about 0.1 s here; the handler alone would run 30 s


async def test_a_handler_that_ignores_the_abort_is_cancelled_after_the_grace(store: JobStore) -> None:
    async def stubborn(job: Job, ctx: JobContext) -> HandlerResult:
        await asyncio.sleep(60)
        return HandlerResult(result=b"late")

    [job] = await submit(store)
    task = asyncio.create_task(Worker(store, stubborn, **FAST).run_until_idle())
    await wait_for_state(store, job.id, JobState.RUNNING)
    await store.cancel(job.id)
    await wait_for_state(store, job.id, JobState.CANCELLED)
    assert (await asyncio.wait_for(task, 10)).cancelled == 1


async def test_unexpected_errors_are_retried_until_the_job_is_dead(store: JobStore) -> None:
    async def crash(job: Job, ctx: JobContext) -> HandlerResult:
        raise RuntimeError("boom\nsecond line")

    [job] = await submit(store, max_attempts=3)
    stats = await asyncio.wait_for(Worker(store, crash, **FAST).run_until_idle(), 30)
    dead = await store.get(job.id)
    assert dead.state == JobState.DEAD and dead.attempts == 3
    assert dead.error == "RuntimeError: boom second line"
    assert (stats.retried, stats.failed) == (2, 1)


async def test_a_retryable_error_then_success_succeeds_on_the_second_attempt(store: JobStore) -> None:
    async def flaky(job: Job, ctx: JobContext) -> HandlerResult:
        if job.attempts == 1:
            raise RetryableError("device busy")
        return HandlerResult(result=b"second time lucky")

    [job] = await submit(store)
    await asyncio.wait_for(Worker(store, flaky, **FAST).run_until_idle(), 30)
    done = await store.get(job.id)
    assert done.state == JobState.SUCCEEDED and done.attempts == 2
    assert await store.get_blob(done.result_sha) == b"second time lucky"


async def test_a_permanent_error_fails_the_job_without_another_attempt(store: JobStore) -> None:
    async def bad_input(job: Job, ctx: JobContext) -> HandlerResult:
        raise PermanentError("content image: not an image (it looks like text)")

    [job] = await submit(store, max_attempts=3)
    stats = await asyncio.wait_for(Worker(store, bad_input, **FAST).run_until_idle(), 30)
    failed = await store.get(job.id)
    assert failed.state == JobState.FAILED and failed.attempts == 1
    assert failed.error == "content image: not an image (it looks like text)"
    assert stats.failed == 1


async def test_a_job_over_the_time_limit_fails_permanently(store: JobStore) -> None:
    [job] = await submit(store)
    stats = await asyncio.wait_for(Worker(store, until_aborted, time_limit=0.3, **FAST).run_until_idle(), 30)
    failed = await store.get(job.id)
    assert failed.state == JobState.FAILED and failed.attempts == 1
    assert "time limit" in failed.error
    assert stats.failed == 1


async def test_stop_lets_the_running_job_finish_within_the_shutdown_timeout(store: JobStore) -> None:
    started = asyncio.Event()

    async def short(job: Job, ctx: JobContext) -> HandlerResult:
        started.set()
        await asyncio.sleep(0.3)
        return HandlerResult(result=b"done")

    jobs = await submit(store, 2)
    worker = Worker(store, short, shutdown_timeout=10, **FAST)
    task = asyncio.create_task(worker.run())
    await started.wait()
    worker.stop()
    stats = await asyncio.wait_for(task, 10)
    assert stats.succeeded == 1 and stats.claimed == 1  # finished the running job, claimed no other
    states = sorted([(await store.get(j.id)).state for j in jobs])
    assert states == sorted([JobState.SUCCEEDED, JobState.QUEUED])


async def test_stop_releases_a_job_that_outlives_the_shutdown_timeout(store: JobStore) -> None:
    [job] = await submit(store)
    worker = Worker(store, until_aborted, shutdown_timeout=0.2, **FAST)
    task = asyncio.create_task(worker.run())
    await wait_for_state(store, job.id, JobState.RUNNING)
    worker.stop()
    stats = await asyncio.wait_for(task, 10)
    released = await store.get(job.id)
    assert stats.released == 1
    assert released.state == JobState.QUEUED and released.attempts == 0  # no attempt burnt
    assert (await asyncio.wait_for(Worker(store, echo, **FAST).run_until_idle(), 30)).succeeded == 1


async def test_cancelling_the_worker_task_releases_its_job_and_reraises(store: JobStore) -> None:
    [job] = await submit(store)
    task = asyncio.create_task(Worker(store, until_aborted, **FAST).run())
    await wait_for_state(store, job.id, JobState.RUNNING)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await store.get(job.id)).state == JobState.QUEUED
    assert await store.live_workers() == []


async def test_a_worker_that_lost_its_lease_cannot_overwrite_the_new_result(store: JobStore) -> None:
    release = asyncio.Event()

    async def slow_a(job: Job, ctx: JobContext) -> HandlerResult:
        await release.wait()
        return HandlerResult(result=b"stale result from A")

    async def fast_b(job: Job, ctx: JobContext) -> HandlerResult:
        return HandlerResult(result=b"result from B")

    [job] = await submit(store)
    # A never heartbeats within its 0.2 s lease (as if its event loop had stalled), so the lease expires.
    a = Worker(store, slow_a, worker_id="A", lease_seconds=0.2, heartbeat_interval=30, poll_interval=0.02)
    a_task = asyncio.create_task(a.run())
    await wait_for_state(store, job.id, JobState.RUNNING)
    await asyncio.sleep(0.3)
    b_stats = await asyncio.wait_for(Worker(store, fast_b, worker_id="B", **FAST).run_until_idle(), 30)
    assert b_stats.succeeded == 1
    release.set()
    a.stop()
    a_stats = await asyncio.wait_for(a_task, 10)
    done = await store.get(job.id)
    assert a_stats.lost == 1 and a_stats.succeeded == 0
    assert done.state == JobState.SUCCEEDED and done.attempts == 2
    assert await store.get_blob(done.result_sha) == b"result from B"


async def test_burst_waits_out_the_lease_of_a_dead_worker(store: JobStore) -> None:
    await submit(store)
    [claimed] = await store.claim("dead-worker", lease_seconds=0.3)  # claims, then "dies"
    stats = await asyncio.wait_for(Worker(store, echo, worker_id="alive", **FAST).run_until_idle(), 15)
    done = await store.get(claimed.id)
    assert stats.succeeded == 1
    assert done.state == JobState.SUCCEEDED and done.attempts == 2 and done.lease_owner != "dead-worker"


async def test_two_workers_share_one_queue_and_run_each_job_once(store: JobStore) -> None:
    runs: list[tuple[str, int]] = []

    def handler_for(name: str) -> Any:
        async def handler(job: Job, ctx: JobContext) -> HandlerResult:
            runs.append((name, job.id))
            await asyncio.sleep(0.01)
            return HandlerResult(result=b"%d" % job.id)

        return handler

    jobs = await submit(store, 12)
    w1 = Worker(store, handler_for("w1"), worker_id="w1", **FAST)
    w2 = Worker(store, handler_for("w2"), worker_id="w2", **FAST)
    s1, s2 = await asyncio.wait_for(asyncio.gather(w1.run_until_idle(), w2.run_until_idle()), 30)
    assert sorted(job_id for _, job_id in runs) == sorted(j.id for j in jobs)
    assert {name for name, _ in runs} == {"w1", "w2"}
    assert s1.succeeded + s2.succeeded == 12


async def test_the_batch_handler_gets_only_jobs_with_the_same_batch_key(store: JobStore) -> None:
    batches: list[list[int]] = []

    async def batch(jobs: Sequence[Job], contexts: Sequence[JobContext]) -> list[HandlerResult]:
        batches.append([j.id for j in jobs])
        for n, ctx in enumerate(contexts):
            await ctx.report_progress(n, len(contexts))
        return [HandlerResult(result=b"b%d" % j.id) for j in jobs]

    a_jobs = await submit(store, 3, batch_key="fast:64")
    b_jobs = await submit(store, 2, user_id=2, batch_key="fast:128")
    worker = Worker(store, echo, batch_handler=batch, batch_size=4, **FAST)
    stats = await asyncio.wait_for(worker.run_until_idle(), 30)
    assert sorted(sorted(b) for b in batches) == sorted([sorted(j.id for j in a_jobs), sorted(j.id for j in b_jobs)])
    assert stats.succeeded == 5 and stats.batches == 2
    for job in a_jobs + b_jobs:
        assert await store.get_blob((await store.get(job.id)).result_sha) == b"b%d" % job.id


async def test_one_cancelled_job_leaves_its_batch_while_the_others_finish(store: JobStore) -> None:
    go = asyncio.Event()

    async def batch(jobs: Sequence[Job], contexts: Sequence[JobContext]) -> list[HandlerResult | BaseException]:
        await go.wait()
        return [HandlerResult(result=b"ok") for _ in jobs]

    first, second = await submit(store, 2, batch_key="k")
    task = asyncio.create_task(Worker(store, batch_handler=batch, batch_size=2, **FAST).run_until_idle())
    await wait_for_state(store, second.id, JobState.RUNNING)
    await store.cancel(first.id)
    cancelled = await wait_for_state(store, first.id, JobState.CANCELLED)  # at once, not when the batch ends
    assert (await store.get(second.id)).state == JobState.RUNNING
    go.set()
    stats = await asyncio.wait_for(task, 10)
    assert cancelled.result_sha is None and (await store.get(first.id)).state == JobState.CANCELLED
    assert (await store.get(second.id)).state == JobState.SUCCEEDED
    assert (stats.cancelled, stats.succeeded) == (1, 1)


async def test_a_batch_handler_returning_an_exception_fails_only_that_job(store: JobStore) -> None:
    async def batch(jobs: Sequence[Job], contexts: Sequence[JobContext]) -> list[HandlerResult | BaseException]:
        return [PermanentError("style image 1: too small"), HandlerResult(result=b"fine")]

    first, second = await submit(store, 2, batch_key="k")
    await asyncio.wait_for(Worker(store, batch_handler=batch, batch_size=2, **FAST).run_until_idle(), 30)
    assert (await store.get(first.id)).error == "style image 1: too small"
    assert (await store.get(first.id)).state == JobState.FAILED
    assert (await store.get(second.id)).state == JobState.SUCCEEDED


async def test_the_worker_registers_heartbeats_and_unregisters(store: JobStore) -> None:
    seen: list[Any] = []

    async def look(job: Job, ctx: JobContext) -> HandlerResult:
        await asyncio.sleep(0.5)  # long enough for a worker heartbeat (every lease/3 s)
        seen.extend(await store.live_workers())
        return HandlerResult(result=b"")

    await submit(store)
    worker = Worker(store, look, worker_id="w-reg", device="cpu", **FAST)
    await asyncio.wait_for(worker.run_until_idle(), 30)
    assert [(w.worker_id, w.device, w.current_job_id is not None) for w in seen] == [("w-reg", "cpu", True)]
    assert await store.live_workers() == []


def test_abort_reasons_keep_the_first_one() -> None:
    job = Job(
        id=1, state=JobState.RUNNING, user_id=1, guild_id=None, channel_id=None, kind="stylize", params={},
        content_sha="c", style_shas=(), target=None,  # type: ignore[arg-type]
    )  # fmt: skip
    ctx = JobContext(job, worker_id="w", lease_seconds=1, time_limit=None)
    assert not ctx.should_abort()
    ctx.abort(AbortReason.CANCELLED)
    ctx.abort(AbortReason.SHUTDOWN)
    assert ctx.should_abort() and ctx.abort_reason is AbortReason.CANCELLED


async def test_on_finished_hears_every_outcome(store: JobStore) -> None:
    heard: list[tuple[int, str]] = []

    async def mixed(job: Job, ctx: JobContext) -> HandlerResult:
        if job.params["n"] == 1:
            raise PermanentError("bad input")
        return HandlerResult(result=b"ok")

    jobs = await submit(store, 2)
    worker = Worker(store, mixed, on_finished=lambda job, outcome, s: heard.append((job.id, outcome)), **FAST)
    await asyncio.wait_for(worker.run_until_idle(), 30)
    assert sorted(heard) == [(jobs[0].id, "succeeded"), (jobs[1].id, "failed")]
