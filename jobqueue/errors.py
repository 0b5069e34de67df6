"""Errors of the job queue. Every SQLAlchemy/driver error is translated to one of these at the package edge.

foundation.StylebotError
└── JobQueueError
    ├── JobNotFound(job_id)
    ├── BlobNotFound(sha)
    ├── QueueLimitExceeded(scope, limit, current)
    ├── InvalidTransition(job_id, state, action)
    ├── LeaseLost(job_id, worker)
    ├── DatabaseError(url, reason)      the database refused a statement: retrying the same one will not help
    │   └── ConstraintViolation         a unique, foreign-key, check or not-null constraint
    ├── SchemaMismatch(expected, found)
    └── JobFailed            raised by job handlers, read by the worker
        ├── RetryableError   try again (backoff, up to max attempts)
        │   ├── DatabaseUnavailable(url, reason)   unreachable, refusing connections, locked or disk full
        │   └── BatchFailed(job_ids)               the batch handler raised for the whole batch: each runs alone
        └── PermanentError   fail now

`jobqueue._db` translates every driver error into `DatabaseUnavailable` (a passing condition: the worker, the lease
keeper and the delivery loop back off and carry on) or `DatabaseError` (permanent). Neither message ever holds the
statement's bound parameters (interaction tokens live in them); the chained driver error hides them too.
"""

from __future__ import annotations

from foundation import StylebotError

__all__ = [
    "BatchFailed",
    "BlobNotFound",
    "ConstraintViolation",
    "DatabaseError",
    "DatabaseUnavailable",
    "InvalidTransition",
    "JobFailed",
    "JobNotFound",
    "JobQueueError",
    "LeaseLost",
    "PermanentError",
    "QueueLimitExceeded",
    "RetryableError",
    "SchemaMismatch",
]


class JobQueueError(StylebotError):
    """The job queue failed."""


class JobNotFound(JobQueueError):
    """No such job."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id} not found")


class BlobNotFound(JobQueueError):
    """No such image blob."""

    def __init__(self, sha: str) -> None:
        self.sha = sha
        super().__init__(f"blob {sha[:16]} not found (garbage-collected or never stored)")


class QueueLimitExceeded(JobQueueError):
    """Too many queued or running jobs."""

    def __init__(self, scope: str, limit: int, current: int) -> None:
        self.scope = scope
        self.limit = limit
        self.current = current
        super().__init__(f"{scope} queue limit reached: {current} of {limit} jobs queued or running")


class InvalidTransition(JobQueueError):
    """This action is not possible in the job's current state."""

    def __init__(self, job_id: int, state: str, action: str) -> None:
        self.job_id = job_id
        self.state = str(state)
        self.action = action
        super().__init__(f"job {job_id}: cannot {action} a job that is {self.state}")


class LeaseLost(JobQueueError):
    """The worker's lease on this job expired or moved on; its write was refused."""

    def __init__(self, job_id: int, worker: str | None) -> None:
        self.job_id = job_id
        self.worker = worker
        super().__init__(f"job {job_id}: lease lost by worker {worker} (expired, reaped or cancelled)")


class DatabaseError(JobQueueError):
    """The database refused a statement."""

    def __init__(self, url: str, reason: str | None = None) -> None:
        self.url = url
        self.reason = reason
        tail = f": {reason}" if reason else ""
        super().__init__(f"database {url} refused a statement{tail}")


class ConstraintViolation(DatabaseError):
    """A statement broke a constraint of the schema (unique, foreign key, check, not null)."""


class SchemaMismatch(JobQueueError):
    """The database schema is at another revision than this code expects."""

    def __init__(self, expected: str | None, found: str | None) -> None:
        self.expected = expected
        self.found = found
        super().__init__(
            f"database schema is at revision {found or 'none (empty database)'} but this code expects {expected}; "
            "run `stylebot db upgrade` (or upgrade this program if the database is newer)"
        )


class JobFailed(JobQueueError):
    """The job's handler failed.

    Raised by job handlers (not by the store): `RetryableError` asks the worker to try the job again (with backoff,
    up to its max attempts); `PermanentError` fails it at once. Any other exception from a handler counts as
    retryable. The message is one line that the member may eventually see in a summarised form.
    """

    def __init__(self, message: str | None = None, *, job_id: int | None = None) -> None:
        self.job_id = job_id
        super().__init__(message)


class RetryableError(JobFailed):
    """The job failed for a passing reason (e.g. the device was busy); it will be tried again."""


class DatabaseUnavailable(RetryableError):
    """The database cannot be reached, refuses connections, stays locked or has no disk space left: try again later.

    A `RetryableError`, so a job handler that meets it gets another attempt; `disk_full` tells an operator's alert
    apart from a server that is merely restarting.
    """

    def __init__(self, url: str, reason: str | None = None, *, disk_full: bool = False) -> None:
        self.url = url
        self.reason = reason
        self.disk_full = disk_full
        tail = f": {reason}" if reason else ""
        super().__init__(f"database {url} is unavailable{tail}")


class BatchFailed(RetryableError):
    """The batch handler raised for the whole batch, not for one job (a CUDA error, out of memory for the batch).

    Made by the worker, never by handlers: it is no job's own outcome, so every job of the batch gets another attempt
    (whatever the original error's type) and runs alone from then on; the original error is the `__cause__`.
    """

    def __init__(self, job_ids: list[int], cause: BaseException) -> None:
        self.job_ids = list(job_ids)
        reason = " ".join(f"{type(cause).__name__}: {cause}".split()).rstrip(":")
        super().__init__(f"batch of jobs {', '.join(map(str, job_ids))} failed as a whole ({reason}); runs alone next")


class PermanentError(JobFailed):
    """The job cannot succeed (e.g. an unusable input image); it fails without another attempt."""
