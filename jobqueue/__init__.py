"""Durable style-transfer job queue: the only package with SQL.

    store = await jobqueue.open_store(url)        # SQLite or PostgreSQL; migrates under a lock
    job = await store.enqueue(NewJob(...))
    [job] = await store.claim("worker-1", lease_seconds=30)

`JobStore` is the interface; `jobqueue.testing.InMemoryJobStore` is its in-memory twin for tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stylebot._lazy import lazy_exports

from jobqueue._context import AbortReason, BatchHandler, Handler, HandlerResult, JobContext
from jobqueue._policy import KeptRefs, StoreOptions
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
from jobqueue.challenges import (
    Challenge,
    ChallengeAlreadyOpen,
    ChallengeClosed,
    ChallengeError,
    ChallengeEvent,
    ChallengeNotFound,
    ChallengePhase,
    ChallengeState,
    ChallengeStore,
    DueEvent,
    Entry,
    EntryLimitReached,
    EntryNotFound,
    EntryState,
    NewChallenge,
    NotEntryOwner,
    RankedEntry,
    SelfVote,
    VoteResult,
    next_event,
    phase_at,
    rank_entries,
)
from jobqueue.errors import (
    BlobNotFound,
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
    from jobqueue._sql_store import SqlJobStore
    from jobqueue.challenges._rows import challenge_kept_refs
    from jobqueue.challenges._store import SqlChallengeStore

_LAZY = {
    "SqlChallengeStore": "jobqueue.challenges._store",
    "SqlJobStore": "jobqueue._sql_store",
    "challenge_kept_refs": "jobqueue.challenges._rows",
}


async def open_store(
    url: str, *, migrate: bool = True, options: StoreOptions | None = None, kept: KeptRefs[Any] | None = None
) -> SqlJobStore:
    """Open the durable store at an SQLAlchemy URL (`sqlite+aiosqlite:///file`, `postgresql+asyncpg://…`).

    With `migrate` the schema is upgraded first (under a cross-process lock); a database at another revision than
    this code expects raises `SchemaMismatch`, an unreachable one `DatabaseUnavailable`. `kept` names what other
    features still use, which `gc` and `forget_user` must leave alone (entry points pass `challenge_kept_refs()`).
    """
    from jobqueue._open import open_store as _open  # SQLAlchemy only when a store is opened

    return await _open(url, migrate=migrate, options=options, kept=kept)


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
    "KeptRefs",
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
    "SqlChallengeStore",
    "SqlJobStore",
    "StoreOptions",
    "TargetKind",
    "VoteResult",
    "Worker",
    "WorkerInfo",
    "WorkerStats",
    "challenge_kept_refs",
    "next_event",
    "open_store",
    "phase_at",
    "rank_entries",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
