"""What a job handler receives and returns: `JobContext`, `HandlerResult` and the handler signatures.

A handler is `async def handler(job: Job, ctx: JobContext) -> HandlerResult`. It reports progress with
`await ctx.report_progress(step, total, loss, preview_png)` (cheap: the worker's lease keeper writes the newest
progress with its next heartbeat, at most about once a second) and checks `ctx.should_abort()` (thread-safe, so a
handler may pass it to code running in a thread) to stop cooperatively when the job was cancelled, its lease was lost,
it ran past its time limit or the worker is shutting down. A batch handler receives several jobs and one context each
and returns one `HandlerResult` or exception per job, in order.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobqueue._types import Job, JobProgress

__all__ = ["AbortReason", "BatchHandler", "Handler", "HandlerResult", "JobContext"]


@dataclass(frozen=True)
class HandlerResult:
    """A finished job: the result blob (e.g. a PNG) and JSON-able metadata stored with it; `meta["content_type"]`
    (e.g. "image/gif") is the blob's media type, image/png when absent."""

    result: bytes = field(repr=False)
    meta: dict[str, Any] = field(default_factory=dict)


class AbortReason(enum.StrEnum):
    """Why the worker asks a running job to stop."""

    CANCELLED = "cancelled"  # a user or admin cancelled it: the job ends `cancelled`
    LEASE_LOST = "lease_lost"  # another worker owns it now: nothing is written
    TIME_LIMIT = "time_limit"  # it ran too long: the job fails permanently
    SHUTDOWN = "shutdown"  # the worker stops: the job goes back to the queue without burning an attempt


class JobContext:
    """One running job's view of its worker: progress reporting, the abort flag and the lease."""

    def __init__(self, job: Job, *, worker_id: str, lease_seconds: float, time_limit: float | None) -> None:
        self.job = job
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.started = time.monotonic()
        self.deadline = self.started + time_limit if time_limit else None
        self._abort: AbortReason | None = None
        self._pending: tuple[JobProgress, bytes | None] | None = None
        self.progress: JobProgress | None = None  # the last progress stored
        self.reported: JobProgress | None = None  # the last progress reported (stored with the final write)
        self.finished = False  # the worker wrote this job's final state

    # -- for handlers -------------------------------------------------------------------------------------------
    def should_abort(self) -> bool:
        """True once the job should stop (safe to call from any thread)."""
        return self._abort is not None

    @property
    def abort_reason(self) -> AbortReason | None:
        return self._abort

    @property
    def time_left(self) -> float | None:
        """Seconds until the worker's time limit for this job, or None without a limit."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    async def report_progress(
        self, step: int, total: int, loss: float | None = None, preview_png: bytes | None = None
    ) -> bool:
        """Record progress; the next heartbeat stores it (throttled). Returns `should_abort()`."""
        previous = self._pending[1] if self._pending else None
        progress = self.reported = JobProgress(step=step, total=total, loss=loss)
        self._pending = (progress, preview_png if preview_png is not None else previous)
        return self.should_abort()

    # -- for the worker -----------------------------------------------------------------------------------------
    def abort(self, reason: AbortReason) -> None:
        """Ask the handler to stop; the first reason wins (a cancel stays a cancel during shutdown)."""
        if self._abort is None:
            self._abort = reason

    def take_progress(self) -> tuple[JobProgress, bytes | None] | None:
        """The progress reported since the last heartbeat (and its preview), or None."""
        pending, self._pending = self._pending, None
        return pending


Handler = Callable[[Job, JobContext], Awaitable[HandlerResult]]
BatchHandler = Callable[[Sequence[Job], Sequence[JobContext]], Awaitable[Sequence["HandlerResult | BaseException"]]]
