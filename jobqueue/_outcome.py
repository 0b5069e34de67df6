"""Turn what a handler did (a result, an exception, an abort) into the one final store write for its job."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from jobqueue._context import AbortReason, HandlerResult, JobContext
from jobqueue._types import JobState
from jobqueue.errors import (
    BatchFailed,
    DatabaseUnavailable,
    InvalidTransition,
    JobFailed,
    JobQueueError,
    LeaseLost,
    PermanentError,
)

if TYPE_CHECKING:
    from jobqueue import JobStore

__all__ = ["error_line", "finish_job"]

logger = logging.getLogger(__name__)
MAX_ERROR = 500


def error_line(exc: BaseException) -> str:
    """One line for the job's `error` column: our own errors by their message, anything else with its type."""
    text = str(exc) if isinstance(exc, JobFailed) else f"{type(exc).__name__}: {exc}".rstrip(": ")
    text = " ".join(text.split()) or type(exc).__name__
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


async def finish_job(store: JobStore, ctx: JobContext, outcome: HandlerResult | BaseException) -> str | None:
    """Write the job's final state; returns the outcome's name (a `WorkerStats` field) or None if already done.

    A worker that lost its lease writes nothing (the store refuses with LeaseLost anyway); a cancel wins over a
    result; a result that arrived wins over a shutdown or time-limit abort. `DatabaseUnavailable` is raised (nothing
    written, the job not marked finished) for the caller to retry; other store errors are logged.
    """
    if ctx.finished:
        return None
    ctx.finished = True
    job, reason = ctx.job, ctx.abort_reason
    extra = {"job_id": job.id}
    try:
        if reason is AbortReason.LEASE_LOST:
            logger.warning("job %s: lease lost, leaving it to its new owner", job.id, extra={**extra, "action": "lost"})
            return "lost"
        if reason is AbortReason.CANCELLED:
            await store.mark_cancelled(job)
            logger.info("job %s cancelled", job.id, extra={**extra, "action": "cancelled"})
            return "cancelled"
        if isinstance(outcome, HandlerResult):
            # the handler's last report (e.g. 3/3) may not have reached a heartbeat yet: the final write stores it
            await store.complete(job, result=outcome.result, meta=outcome.meta, progress=ctx.reported)
            seconds = outcome.meta.get("seconds")
            logger.info("job %s succeeded (%s s)", job.id, seconds, extra={**extra, "action": "succeeded"})
            return "succeeded"
        if reason is AbortReason.TIME_LIMIT:
            limit = (ctx.deadline or ctx.started) - ctx.started
            error = f"job {job.id}: ran longer than its time limit of {limit:g} s"
            await store.fail(job, error=error, retryable=False)
            logger.warning("%s", error, extra={**extra, "action": "failed"})
            return "failed"
        if reason is AbortReason.SHUTDOWN or isinstance(outcome, asyncio.CancelledError):
            await store.release(job)
            logger.info("job %s released back to the queue", job.id, extra={**extra, "action": "released"})
            return "released"
        return await _fail(store, ctx, outcome)
    except LeaseLost:
        logger.warning("job %s: lease lost before the final write; its new owner decides", job.id, extra=extra)
        return "lost"
    except InvalidTransition as exc:
        logger.warning("job %s: final write refused: %s", job.id, exc, extra=extra)
        return "lost"
    except DatabaseUnavailable:
        ctx.finished = False  # a passing outage: nothing was written, the worker tries again once it is back
        raise
    except JobQueueError as exc:
        logger.error(
            "job %s: final write failed (its lease will expire and it runs again): %s", job.id, exc, extra=extra
        )
        return "lost"


async def _fail(store: JobStore, ctx: JobContext, exc: BaseException) -> str:
    job = ctx.job
    retryable = not isinstance(exc, PermanentError)
    error = error_line(exc)
    if not isinstance(exc, JobFailed):
        logger.error("job %s: handler crashed", job.id, exc_info=exc, extra={"job_id": job.id})
    # a whole batch's failure: another attempt, alone (the store marks the job so that no claim batches it again)
    isolate = isinstance(exc, BatchFailed)
    updated = await store.fail(job, error=error, retryable=retryable, isolate=isolate)
    outcome = "retried" if updated.state == JobState.QUEUED else "failed"
    logger.info(
        "job %s %s (attempt %d of %d): %s",
        job.id,
        "will be retried" if outcome == "retried" else f"ended {updated.state}",
        job.attempts,
        job.max_attempts,
        error,
        extra={"job_id": job.id, "action": outcome},
    )
    return outcome
