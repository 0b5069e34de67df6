"""Durable style-transfer job queue: the only package with SQL.

    store = await jobqueue.open_store(url)        # SQLite or PostgreSQL; migrates under a lock
    job = await store.enqueue(NewJob(...))
    [job] = await store.claim("worker-1", lease_seconds=30)

`JobStore` is the interface; `jobqueue.testing.InMemoryJobStore` is its in-memory twin for tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundation import lazy_exports

from jobqueue._challenge_errors import (
    ChallengeAlreadyOpen,
    ChallengeClosed,
    ChallengeError,
    ChallengeNotFound,
    EntryLimitReached,
    EntryNotFound,
    NotEntryOwner,
    SelfVote,
)
from jobqueue._challenge_rules import check_submission, compute_deadlines, next_event, phase_at, rank_entries
from jobqueue._challenge_types import (
    Challenge,
    ChallengeEvent,
    ChallengePhase,
    ChallengeState,
    DueEvent,
    Entry,
    EntryState,
    NewChallenge,
    RankedEntry,
    VoteResult,
)
from jobqueue._context import AbortReason, BatchHandler, Handler, HandlerResult, JobContext
from jobqueue._policy import StoreOptions
from jobqueue._protocol import JobStore
from jobqueue._types import (
    TERMINAL_STATES,
    DeliveryTarget,
    EnqueueLimits,
    GuildSettings,
    Job,
    JobProgress,
    JobState,
    NewJob,
    Position,
    QueueStats,
    TargetKind,
    WorkerInfo,
)
from jobqueue._worker import Worker, WorkerStats
from jobqueue.errors import (
    BlobNotFound,
    ConstraintViolation,
    DatabaseError,
    DatabaseUnavailable,
    InvalidTransition,
    JobFailed,
    JobNotFound,
    JobQueueError,
    LeaseLost,
    PermanentError,
    QueueLimitExceeded,
    RetryableError,
    SchemaMismatch,
)

if TYPE_CHECKING:
    from jobqueue._challenges import ChallengeStore
    from jobqueue._migrate import check_schema, expected_revision, upgrade_schema
    from jobqueue._store import SqlJobStore

_LAZY = {
    "ChallengeStore": "jobqueue._challenges",
    "SqlJobStore": "jobqueue._store",
    "check_schema": "jobqueue._migrate",
    "expected_revision": "jobqueue._migrate",
    "upgrade_schema": "jobqueue._migrate",
    "register_kept_blobs": "jobqueue._store_base",
    "register_kept_jobs": "jobqueue._store_base",
}


async def open_store(url: str, *, migrate: bool = True, options: StoreOptions | None = None) -> SqlJobStore:
    """Open the durable store at an SQLAlchemy URL (`sqlite+aiosqlite:///file`, `postgresql+asyncpg://…`).

    With `migrate` the schema is upgraded first (under a cross-process lock); a database at another revision than
    this code expects raises `SchemaMismatch`, an unreachable one `DatabaseUnavailable`.
    """
    from jobqueue._open import open_store as _open  # SQLAlchemy only when a store is opened

    return await _open(url, migrate=migrate, options=options)


__all__ = [
    "TERMINAL_STATES",
    "AbortReason",
    "BatchHandler",
    "BlobNotFound",
    "Challenge",
    "ChallengeAlreadyOpen",
    "ChallengeClosed",
    "ChallengeError",
    "ChallengeEvent",
    "ChallengeNotFound",
    "ChallengePhase",
    "ChallengeState",
    "ChallengeStore",
    "ConstraintViolation",
    "DatabaseError",
    "DatabaseUnavailable",
    "DeliveryTarget",
    "DueEvent",
    "EnqueueLimits",
    "Entry",
    "EntryLimitReached",
    "EntryNotFound",
    "EntryState",
    "GuildSettings",
    "Handler",
    "HandlerResult",
    "InvalidTransition",
    "Job",
    "JobContext",
    "JobFailed",
    "JobNotFound",
    "JobProgress",
    "JobQueueError",
    "JobState",
    "JobStore",
    "LeaseLost",
    "NewChallenge",
    "NewJob",
    "NotEntryOwner",
    "PermanentError",
    "Position",
    "QueueLimitExceeded",
    "QueueStats",
    "RankedEntry",
    "RetryableError",
    "SchemaMismatch",
    "SelfVote",
    "SqlJobStore",
    "StoreOptions",
    "TargetKind",
    "VoteResult",
    "Worker",
    "WorkerInfo",
    "WorkerStats",
    "check_schema",
    "check_submission",
    "compute_deadlines",
    "expected_revision",
    "next_event",
    "open_store",
    "phase_at",
    "rank_entries",
    "register_kept_blobs",
    "register_kept_jobs",
    "upgrade_schema",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
