"""Fault isolation for the worker: what a claim's handler task amounts to per job, and when the worker is unhealthy.

`claim_outcomes` turns the handler task into one outcome per job. An exception that escapes a batch handler of
several jobs is no job's own outcome (a CUDA error, the batch running out of memory): each job gets a `BatchFailed`
(retryable whatever the original error was, and the store marks the job to run alone from then on), so one poison
job cannot fail its batch-mates for good.

`CrashStreak` counts claims in a row that crashed as a whole (a `BatchFailed`, or a lone job's handler raising
something that is not a `JobFailed` verdict) and names the reason once `limit` of them, on at least two different
jobs, came one after the other: the engine itself is broken (a lost GPU) and should stop claiming rather than drain
the queue into `failed`/`dead`. A success, or a job's own verdict (`PermanentError`, `RetryableError`), resets it;
one poison job retried alone in an otherwise idle queue never trips it (it is always the same job).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from jobqueue._context import HandlerResult, JobContext
from jobqueue._outcome import error_line
from jobqueue.errors import BatchFailed, JobFailed

__all__ = ["CrashStreak", "claim_outcomes"]


def claim_outcomes(task: asyncio.Task[Any], job_ids: list[int]) -> list[HandlerResult | BaseException]:
    """One outcome per job from the finished (or abandoned) handler task of a claim."""
    n = len(job_ids)
    if not task.done() or task.cancelled():
        return [asyncio.CancelledError() for _ in range(n)]
    exc = task.exception()
    if exc is None:
        results = list(task.result())
        if len(results) == n:
            return results
        exc = RuntimeError(f"batch handler returned {len(results)} results for {n} jobs")
    if n > 1 and not isinstance(exc, asyncio.CancelledError):
        failed = BatchFailed(job_ids, exc)
        failed.__cause__ = exc
        return [failed for _ in range(n)]
    return [exc for _ in range(n)]


class CrashStreak:
    """Claims in a row that crashed as a whole (see the module docstring); `limit` None or 0 never trips."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit or 0
        self.claims = 0
        self.jobs: set[int] = set()
        self.reason: str | None = None  # set once tripped; stays set

    def record(self, contexts: Sequence[JobContext], outcomes: Sequence[HandlerResult | BaseException]) -> bool:
        """Count one finished claim; True when this claim tripped the limit."""
        if any(isinstance(o, HandlerResult) or _verdict(o) for o in outcomes):
            self.claims, self.jobs = 0, set()
            return False
        if any(ctx.abort_reason is not None for ctx in contexts) or not all(map(_crashed, outcomes)):
            return False  # cancelled, shut down, lease lost: says nothing about the engine
        self.claims += 1
        self.jobs.update(ctx.job.id for ctx in contexts)
        if self.reason is not None or not self.limit or self.claims < self.limit or len(self.jobs) < 2:
            return False
        last = outcomes[-1]
        cause = last.__cause__ if isinstance(last, BatchFailed) and last.__cause__ is not None else last
        self.reason = (
            f"{self.claims} claims in a row ({len(self.jobs)} jobs) crashed as a whole, last with "
            f"{error_line(cause)}; stopped claiming"
        )
        return True


def _verdict(outcome: HandlerResult | BaseException) -> bool:
    """A job's own outcome: the engine worked well enough to judge this job."""
    return isinstance(outcome, JobFailed) and not isinstance(outcome, BatchFailed)


def _crashed(outcome: HandlerResult | BaseException) -> bool:
    return isinstance(outcome, BatchFailed) or not isinstance(outcome, JobFailed | asyncio.CancelledError)
