"""The worker loop: claim, run the handler under a kept lease, write the outcome; reap; stop gracefully.

    worker = Worker(store, handler, lease_seconds=30, poll_interval=0.5)
    await worker.run()                 # until stop() (SIGTERM/SIGINT in `stylebot engine`)
    stats = await worker.run_until_idle()   # burst: drain the queue, then return (tests, bench)

One claim (a job, or up to `batch_size` jobs sharing a `batch_key` when a batch handler is set) runs at a time.
While it runs, a `LeaseKeeper` heartbeats every lease (≤ 1 s, which is how a cancel reaches the job) and stores the
newest progress. Outcomes: a `HandlerResult` completes the job (lease-guarded: a worker that lost its lease writes
nothing); `PermanentError` fails it; `RetryableError` and any unexpected exception fail it retryably (the store
requeues with backoff or marks it dead once attempts are spent); a cancel marks it cancelled; the time limit fails it;
shutdown releases it without burning an attempt. Fault isolation (`jobqueue._health`): an exception escaping the
batch handler fails each job of the batch retryably and marks it to run alone (`BatchFailed`); a job that lost an
attempt to a crash (`Job.crashes`: also a lease reaped after the process died) is never given batch-mates; after
`unhealthy_after` claims in a row crashed as a whole the worker stops claiming and sets `unhealthy` to the reason
(`stylebot engine` answers /healthz with 503), in burst mode it returns. Final writes are shielded from
cancellation; CancelledError is always re-raised. In the background the worker registers itself, heartbeats its
worker row and reaps expired leases.

Database outages (`DatabaseUnavailable`: a server restarting or refusing connections, SQLite locked or its disk full)
never end the worker: claims back off exponentially with jitter (up to `max_backoff` seconds), the outage is logged
once when it starts and once when it ends, and a final write is retried until the database is back (or the shutdown
grace has run out), so a job that ran is neither lost nor run again. While a lease may have lapsed during an outage
(the lease keeper is `stale`, a final write is pending) this worker does not reap, lest it reap its own jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from foundation import Outage, log_context

from jobqueue._context import AbortReason, BatchHandler, Handler, HandlerResult, JobContext
from jobqueue._health import CrashStreak, claim_outcomes
from jobqueue._lease import LeaseKeeper
from jobqueue._outcome import finish_job
from jobqueue._types import Job, JobState
from jobqueue.errors import BatchFailed, DatabaseUnavailable, JobQueueError

if TYPE_CHECKING:
    from jobqueue import JobStore

__all__ = ["Worker", "WorkerStats"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class WorkerStats:
    """What one worker did (outcome name → count); `run_until_idle()` returns it."""

    claimed: int = 0
    succeeded: int = 0
    failed: int = 0
    retried: int = 0
    cancelled: int = 0
    released: int = 0
    lost: int = 0
    batches: int = 0

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


class Worker:
    """Runs jobs from a `JobStore` with an async handler (see the module docstring)."""

    def __init__(
        self,
        store: JobStore,
        handler: Handler | None = None,
        *,
        batch_handler: BatchHandler | None = None,
        batch_size: int = 1,
        worker_id: str | None = None,
        lease_seconds: float = 30.0,
        poll_interval: float = 0.5,
        burst: bool = False,
        time_limit: float | None = None,
        heartbeat_interval: float | None = None,
        shutdown_timeout: float = 30.0,
        abort_grace: float = 2.0,
        device: str | None = None,
        on_finished: Callable[[Job, str, float], None] | None = None,
        max_backoff: float = 30.0,
        unhealthy_after: int | None = None,
    ) -> None:
        if handler is None and batch_handler is None:
            raise ValueError("Worker needs a handler or a batch_handler")
        self.store = store
        self.handler = handler
        self.batch_handler = batch_handler
        self.batch_size = max(1, batch_size) if batch_handler is not None else 1
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.burst = burst
        self.time_limit = time_limit
        self.heartbeat_interval = heartbeat_interval or min(1.0, lease_seconds / 3)
        self.shutdown_timeout = shutdown_timeout
        self.abort_grace = abort_grace
        self.device = device
        self.on_finished = on_finished  # (job, outcome, seconds) after each final write, e.g. for metrics
        self.stats = WorkerStats()
        self._stop = asyncio.Event()
        self._stop_deadline: float | None = None
        self._keeper: LeaseKeeper | None = None
        self._current: list[int] = []
        self._outage = Outage(f"worker {self.worker_id}: the job store", logger, base=poll_interval, cap=max_backoff)
        self._retry_in = 0.0  # after a failed claim: how long to back off
        self._finishing_late = False  # a final write waits for the database to come back
        self._crashes = CrashStreak(unhealthy_after)

    @property
    def unhealthy(self) -> str | None:
        """Why this worker stopped claiming (claims kept crashing as a whole), or None while it is healthy."""
        return self._crashes.reason

    # -- control --------------------------------------------------------------------------------------------------
    def stop(self, *, now: bool = False) -> None:
        """Stop claiming; the running job gets `shutdown_timeout` seconds (none when `now`) before it is released."""
        grace = 0.0 if now or self._stop.is_set() else self.shutdown_timeout
        deadline = time.monotonic() + grace
        self._stop_deadline = min(deadline, self._stop_deadline or deadline)
        self._stop.set()
        if self._keeper is not None:
            self._keeper.stop_deadline = self._stop_deadline
            if grace == 0:
                self._keeper.abort_all(AbortReason.SHUTDOWN)
        logger.info("worker %s stopping (running jobs get %.0f s)", self.worker_id, grace)

    async def run_until_idle(self) -> WorkerStats:
        """Burst mode: process jobs until none is queued or running anywhere, then return the stats.

        It waits for jobs in retry backoff and for the leases of dead workers to run out; a paused queue (or guild)
        with queued jobs keeps it waiting until resumed.
        """
        self.burst = True
        return await self.run()

    async def run(self) -> WorkerStats:
        """Work until `stop()` (or, in burst mode, until the queue is idle). Returns what was done."""
        with log_context(worker=self.worker_id):
            await self._guarded(
                self.store.register_worker(
                    self.worker_id, hostname=socket.gethostname(), pid=os.getpid(), device=self.device
                )
            )
            logger.info(
                "worker %s started (lease %.1fs, poll %.2fs, batch %d%s)",
                self.worker_id,
                self.lease_seconds,
                self.poll_interval,
                self.batch_size,
                ", burst" if self.burst else "",
            )
            housekeeping = asyncio.create_task(self._housekeeping(), name="worker-housekeeping")
            try:
                await self._loop()
            finally:
                housekeeping.cancel()
                await asyncio.wait({housekeeping})  # never swallows a cancellation of this task
                await shielded(self._guarded(self.store.unregister_worker(self.worker_id)))
            logger.info("worker %s stopped: %s", self.worker_id, self.stats)
        return self.stats

    # -- the loop -------------------------------------------------------------------------------------------------
    async def _loop(self) -> None:
        while not self._stop.is_set():
            if self.unhealthy is not None:
                if not self.burst:  # stay registered and answer /healthz (503) until an operator acts
                    await self._stop.wait()
                return
            jobs = await self._claim()
            if jobs:
                await self._process(jobs)
                continue
            if jobs is not None and self.burst and await self._idle_everywhere():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.poll_interval if jobs is not None else self._retry_in)

    async def _claim(self) -> list[Job] | None:
        """The next claim (empty when nothing is ready), or None when the store failed (back off `_retry_in`)."""
        try:
            jobs = list(await self.store.claim(self.worker_id, lease_seconds=self.lease_seconds, limit=1))
            # a job that already lost an attempt to a crash runs alone (the store never hands it out as a batch-mate)
            if jobs and self.batch_size > 1 and jobs[0].batch_key is not None and not jobs[0].crashes:
                more = await self.store.claim(
                    self.worker_id,
                    lease_seconds=self.lease_seconds,
                    limit=self.batch_size - 1,
                    batch_key=jobs[0].batch_key,
                )
                jobs.extend(more)
        except JobQueueError as exc:
            self._retry_in = self._outage.failed(exc)
            return None
        self._outage.recovered()
        self.stats.claimed += len(jobs)
        return jobs

    async def _idle_everywhere(self) -> bool:
        """Burst mode's exit test: nothing queued or running in the whole queue (reaping dead workers' leases)."""
        try:
            await self.store.reap_expired()
            counts = (await self.store.stats()).counts
        except JobQueueError as exc:
            self._outage.failed(exc)
            return False
        return counts.get(JobState.QUEUED, 0) + counts.get(JobState.RUNNING, 0) == 0

    async def _housekeeping(self) -> None:
        """Worker-row heartbeat and reaping of expired leases, every few seconds."""
        interval = max(0.2, min(5.0, self.lease_seconds / 3))
        while True:
            await asyncio.sleep(interval)
            current = self._current[0] if self._current else None
            await self._guarded(self.store.worker_heartbeat(self.worker_id, current_job_id=current))
            if self._finishing_late or (self._keeper is not None and self._keeper.stale) or self._outage.down:
                continue  # our own leases may have lapsed in an outage: renew them before anybody reaps
            reaped = await self._guarded(self.store.reap_expired())
            if reaped:
                logger.info("reaped %d expired lease(s)", reaped)

    async def _guarded(self, aw: Awaitable[T]) -> T | None:
        """Run a bookkeeping store call; a database error is logged once per outage, not fatal (tried next round)."""
        try:
            result = await aw
        except JobQueueError as exc:
            self._outage.failed(exc)
            return None
        self._outage.recovered()
        return result

    # -- one claim --------------------------------------------------------------------------------------------------
    async def _process(self, jobs: list[Job]) -> None:
        contexts = [
            JobContext(
                job,
                worker_id=self.worker_id,
                lease_seconds=self.lease_seconds,
                time_limit=job.time_limit_seconds or self.time_limit,
            )
            for job in jobs
        ]
        keeper = LeaseKeeper(
            self.store,
            contexts,
            lease_seconds=self.lease_seconds,
            interval=self.heartbeat_interval,
            stop_deadline=self._stop_deadline,
            outage=self._outage,
        )
        self._keeper, self._current = keeper, [job.id for job in jobs]
        ids = ",".join(str(job.id) for job in jobs)
        with log_context(job_id=ids):
            logger.info("running job %s (attempt %d of %d)", ids, jobs[0].attempts, jobs[0].max_attempts)
            keeper.start()
            try:
                outcomes = await self._run_handler(jobs, contexts, keeper)
            except asyncio.CancelledError:  # the worker itself is cancelled: hand the jobs back, then re-raise
                keeper.abort_all(AbortReason.SHUTDOWN)
                outcomes = [asyncio.CancelledError() for _ in jobs]
                await shielded(keeper.close())
                await shielded(self._finish(contexts, outcomes))
                raise
            finally:
                self._keeper, self._current = None, []
            await keeper.close()
            await shielded(self._finish(contexts, outcomes))
            self._judge(contexts, outcomes)

    def _judge(self, contexts: Sequence[JobContext], outcomes: Sequence[HandlerResult | BaseException]) -> None:
        """Log a whole batch's failure once; count claims that crashed as a whole (see `jobqueue._health`)."""
        cause = outcomes[0].__cause__ if outcomes and isinstance(outcomes[0], BatchFailed) else None
        if cause is not None:
            logger.error("batch of %d jobs failed as a whole; each runs alone next", len(outcomes), exc_info=cause)
        if self._crashes.record(contexts, outcomes):
            logger.error("worker %s is unhealthy: %s", self.worker_id, self.unhealthy)

    async def _finish(self, contexts: Sequence[JobContext], outcomes: Sequence[HandlerResult | BaseException]) -> None:
        for ctx, outcome in zip(contexts, outcomes, strict=True):
            name = await self._finish_one(ctx, outcome)
            if name:
                self._count(ctx, name)

    async def _finish_one(self, ctx: JobContext, outcome: HandlerResult | BaseException) -> str | None:
        """The job's final write, retried while the database is unavailable (until the shutdown grace runs out)."""
        with log_context(job_id=ctx.job.id):
            try:
                while True:
                    try:
                        name = await finish_job(self.store, ctx, outcome)
                    except DatabaseUnavailable as exc:
                        now = time.monotonic()
                        if self._stop_deadline is not None and now >= self._stop_deadline:
                            logger.error("job %s: final write failed at shutdown; it runs again: %s", ctx.job.id, exc)
                            return "lost"
                        self._finishing_late = True
                        delay = self._outage.failed(exc)
                        await asyncio.sleep(
                            delay if self._stop_deadline is None else min(delay, self._stop_deadline - now)
                        )
                        continue
                    self._outage.recovered()
                    return name
            finally:
                self._finishing_late = False

    def _count(self, ctx: JobContext, outcome: str) -> None:
        self.stats.count(outcome)
        if self.on_finished is not None:
            try:
                self.on_finished(ctx.job, outcome, time.monotonic() - ctx.started)
            except Exception:
                logger.exception("on_finished hook failed for job %s", ctx.job.id)

    async def _run_handler(
        self, jobs: list[Job], contexts: list[JobContext], keeper: LeaseKeeper
    ) -> list[HandlerResult | BaseException]:
        """Run the handler; if an abort is not honoured within `abort_grace`, cancel it."""
        if self.batch_handler is not None and (len(jobs) > 1 or self.handler is None):
            self.stats.batches += 1
            call: Callable[[], Awaitable[Any]] = lambda: self.batch_handler(jobs, contexts)  # noqa: E731
        else:
            assert self.handler is not None
            call = lambda: self._single(jobs[0], contexts[0])  # noqa: E731
        task: asyncio.Task[Any] = asyncio.create_task(call(), name=f"job-{jobs[0].id}")
        try:
            await self._watch(task, contexts, keeper)
        except asyncio.CancelledError:
            task.cancel()
            await asyncio.wait({task}, timeout=self.abort_grace)
            raise
        return claim_outcomes(task, [job.id for job in jobs])

    async def _early_finish(self, contexts: Sequence[JobContext]) -> None:
        """In a batch, a job cancelled while the others go on is marked cancelled at once (its result is dropped)."""
        for ctx in contexts:
            if ctx.abort_reason is AbortReason.CANCELLED and not ctx.finished:
                outcome = await shielded(self._finish_one(ctx, asyncio.CancelledError()))
                if outcome:
                    self._count(ctx, outcome)

    async def _single(self, job: Job, ctx: JobContext) -> list[HandlerResult]:
        assert self.handler is not None
        return [await self.handler(job, ctx)]

    async def _watch(self, task: asyncio.Task[Any], contexts: list[JobContext], keeper: LeaseKeeper) -> None:
        """Wait for the handler; act on aborts as the lease keeper reports them (clear, then look, then wait)."""
        while not task.done():
            keeper.changed.clear()
            if all(ctx.should_abort() for ctx in contexts):
                await self._stop_handler(task)
                return
            if any(ctx.abort_reason is AbortReason.CANCELLED and not ctx.finished for ctx in contexts):
                await self._early_finish(contexts)
                continue
            changed = asyncio.ensure_future(keeper.changed.wait())
            try:
                await asyncio.wait({task, changed}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                changed.cancel()

    async def _stop_handler(self, task: asyncio.Task[Any]) -> None:
        """Every job of this claim should stop: give the handler a moment to notice, then cancel it."""
        done, _ = await asyncio.wait({task}, timeout=self.abort_grace)
        if done:
            return
        logger.warning("handler ignored the abort for %.1f s; cancelling it", self.abort_grace)
        task.cancel()
        await asyncio.wait({task}, timeout=self.abort_grace)
        if not task.done():  # it even swallows cancellation: leave it behind, the abort reason decides the write
            logger.error("handler task %s does not stop; abandoning it", task.get_name())


async def shielded(aw: Awaitable[T]) -> T:
    """Await `aw` to completion even if the caller is cancelled meanwhile; then re-raise that cancellation."""
    task = asyncio.ensure_future(aw)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if task.cancelled():
            raise
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(task), timeout=30)
        raise
