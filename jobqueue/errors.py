"""Errors of the job queue. Every SQLAlchemy/driver error is translated to one of these at the package edge.

foundation.StylebotError
└── JobQueueError
    ├── JobNotFound(job_id)
    ├── BlobNotFound(sha)
    ├── QueueLimitExceeded(scope, limit, current)
    ├── InvalidTransition(job_id, state, action)
    ├── LeaseLost(job_id, worker)
    ├── DatabaseUnavailable(url)
    ├── SchemaMismatch(expected, found)
    └── JobFailed            raised by job handlers, read by the worker
        ├── RetryableError   try again (backoff, up to max attempts)
        └── PermanentError   fail now
"""

from __future__ import annotations

from foundation import StylebotError

__all__ = [
    "BlobNotFound",
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


class DatabaseUnavailable(JobQueueError):
    """The database cannot be reached."""

    def __init__(self, url: str, reason: str | None = None) -> None:
        self.url = url
        self.reason = reason
        tail = f": {reason}" if reason else ""
        super().__init__(f"database {url} is unavailable{tail}")


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


class PermanentError(JobFailed):
    """The job cannot succeed (e.g. an unusable input image); it fails without another attempt."""
