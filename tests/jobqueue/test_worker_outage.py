"""The real `Worker` through a database outage (`OutageStore`: an in-memory store refusing every call while `down`):
it keeps running, logs the outage once, backs off, and finishes each job exactly once when the store is back."""

from __future__ import annotations

import asyncio
import logging

import pytest

from jobqueue import HandlerResult, Job, JobContext, JobState, StoreOptions, Worker
from tests.jobqueue.helpers import OutageStore
from tests.jobqueue.test_worker import FAST, submit

OPTIONS = StoreOptions(retry_backoff_base=0.02, retry_backoff_max=0.1)


def outage_lines(caplog: pytest.LogCaptureFixture) -> tuple[int, int]:
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    return sum("is unavailable" in m for m in warnings), sum("is back after" in m for m in warnings)


class Queue:
    """One queued job in an `OutageStore`, and a handler that records each run (and may take the store down)."""

    def __init__(self, store: OutageStore, job: Job) -> None:
        self.store, self.job, self.runs = store, job, list[int]()
        self.down_while_running = False

    async def handler(self, job: Job, ctx: JobContext) -> HandlerResult:
        self.runs.append(job.id)
        self.store.down = self.store.down or self.down_while_running
        return HandlerResult(result=b"ok")


@pytest.fixture
async def queue(caplog: pytest.LogCaptureFixture) -> Queue:
    caplog.set_level(logging.INFO)
    store = OutageStore(OPTIONS)
    [job] = await submit(store)
    return Queue(store, job)


async def test_claims_back_off_through_an_outage_logged_once_then_the_job_runs(
    queue: Queue, caplog: pytest.LogCaptureFixture
) -> None:
    store, job = queue.store, queue.job
    store.down = True
    worker = asyncio.create_task(Worker(store, queue.handler, **FAST, max_backoff=0.1).run_until_idle())
    await asyncio.sleep(0.6)
    assert not worker.done(), "an outage must not end the worker"
    refused = store.refused
    assert 3 <= refused < 0.6 / FAST["poll_interval"], "claims back off instead of polling at full rate"
    store.down = False
    stats = await asyncio.wait_for(worker, 10)
    assert (stats.succeeded, queue.runs) == (1, [job.id])
    assert (await store.get(job.id)).attempts == 1
    assert outage_lines(caplog) == (1, 1), "one line when the outage starts, one when it ends"


async def test_a_final_write_met_by_an_outage_is_retried_and_the_job_never_runs_twice(
    queue: Queue, caplog: pytest.LogCaptureFixture
) -> None:
    store, job = queue.store, queue.job
    queue.down_while_running = True  # the database goes away while the job runs: complete() is refused

    async def back_later() -> None:
        await asyncio.sleep(2.5 * FAST["lease_seconds"])  # longer than the lease: it has lapsed meanwhile
        store.down = False

    restore = asyncio.create_task(back_later())
    stats = await asyncio.wait_for(Worker(store, queue.handler, **FAST, max_backoff=0.2).run_until_idle(), 15)
    await restore
    done = await store.get(job.id)
    assert (done.state, done.attempts, queue.runs, stats.succeeded) == (JobState.SUCCEEDED, 1, [job.id], 1)
    assert await store.get_blob(done.result_sha) == b"ok"
    assert outage_lines(caplog)[0] == 1
