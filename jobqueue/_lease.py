"""The lease keeper: heartbeats the leases of the jobs a worker is running and turns what it learns into aborts.

Every `interval` seconds (≤ 1 s by default, so a cancel reaches the job within about a second) it calls
`store.heartbeat` for each running job, which extends the lease, stores the newest progress (and preview) and
returns the cancel flag. It also aborts jobs that ran past their time limit or outlived a shutdown's grace period.
While the database is unavailable it backs off (the worker's `Outage`: logged once per outage), at most to a quarter
of the lease so that it renews the leases soon after the database is back; `stale` tells the worker meanwhile not to
reap expired leases, which might be this keeper's own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from foundation import Outage

from jobqueue._context import AbortReason, JobContext
from jobqueue._types import JobProgress
from jobqueue.errors import JobQueueError, LeaseLost

if TYPE_CHECKING:
    from jobqueue import JobStore

__all__ = ["LeaseKeeper"]

logger = logging.getLogger(__name__)


class LeaseKeeper:
    """Keeps the leases of one claim (a job or a batch) alive until `close()`."""

    def __init__(
        self,
        store: JobStore,
        contexts: Sequence[JobContext],
        *,
        lease_seconds: float,
        interval: float,
        stop_deadline: float | None = None,
        outage: Outage | None = None,
    ) -> None:
        self._store = store
        self._outage = outage or Outage("the job store (lease keeper)", logger, base=interval, cap=lease_seconds / 4)
        self._retry_in: float | None = None  # set by a failed heartbeat: back off instead of `interval`
        self.stale = False  # a heartbeat failed and no round has renewed every lease since
        self._contexts = list(contexts)
        self._lease_seconds = lease_seconds
        self._interval = interval
        self.stop_deadline = stop_deadline  # monotonic time after which running jobs are released (shutdown)
        self.changed = asyncio.Event()  # set whenever a context gets an abort reason
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="lease-keeper")

    async def close(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.wait({self._task})  # unlike awaiting the task, never swallows our own cancellation
        if not self._task.cancelled() and (exc := self._task.exception()) is not None:
            logger.error("lease keeper crashed; leases were not renewed", exc_info=exc)

    def abort_all(self, reason: AbortReason) -> None:
        for ctx in self._contexts:
            ctx.abort(reason)
        self.changed.set()

    async def _run(self) -> None:
        while True:
            wait = self._interval
            if self._retry_in is not None:
                wait = max(self._interval, min(self._retry_in, self._lease_seconds / 4))
            await asyncio.sleep(wait)
            self._check_clocks()
            self._retry_in = None
            for ctx in self._contexts:
                if ctx.abort_reason is not AbortReason.LEASE_LOST:
                    await self.beat(ctx)
            self.stale = self._retry_in is not None

    def _check_clocks(self) -> None:
        now = time.monotonic()
        for ctx in self._contexts:
            if ctx.deadline is not None and now >= ctx.deadline:
                self._abort(ctx, AbortReason.TIME_LIMIT)
            if self.stop_deadline is not None and now >= self.stop_deadline:
                self._abort(ctx, AbortReason.SHUTDOWN)

    def _abort(self, ctx: JobContext, reason: AbortReason) -> None:
        if ctx.abort_reason is None:
            logger.info("job %s: asking the handler to stop (%s)", ctx.job.id, reason, extra={"job_id": ctx.job.id})
        ctx.abort(reason)
        self.changed.set()

    async def beat(self, ctx: JobContext) -> None:
        """One heartbeat for one job: extend the lease, store progress, learn about a cancel."""
        pending = ctx.take_progress()
        progress: JobProgress | None = None
        try:
            if pending is not None:
                progress, preview = pending
                if preview is not None:
                    sha = await self._store.put_blob(preview, "image/png")
                    progress = JobProgress(
                        step=progress.step, total=progress.total, loss=progress.loss, preview_sha=sha
                    )
            cancel = await self._store.heartbeat(ctx.job, lease_seconds=self._lease_seconds, progress=progress)
        except LeaseLost:
            logger.warning(
                "job %s: lease lost; another worker may run it now", ctx.job.id, extra={"job_id": ctx.job.id}
            )
            ctx.abort(AbortReason.LEASE_LOST)
            self.changed.set()
            return
        except JobQueueError as exc:  # the database hiccuped: the lease has slack, try again after a backoff
            self._retry_in = self._outage.failed(exc)
            self.stale = True
            return
        self._outage.recovered()
        if progress is not None:
            ctx.progress = progress
        if cancel:
            self._abort(ctx, AbortReason.CANCELLED)
