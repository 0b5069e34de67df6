"""Durable style-transfer job queue: the only package with SQL.

    store = await jobqueue.open_store(url, kept=challenge_kept_refs())  # SQLite or PostgreSQL; migrates under a lock
    job = await store.enqueue(NewJob(...))
    [job] = await store.claim("worker-1", lease_seconds=30)

`JobStore` (`_protocol`) is the interface; `SqlJobStore` implements it on SQL and `jobqueue.testing.InMemoryJobStore`
on dicts for tests. Both are composed of one mixin per concern, the SQL and in-memory halves side by side:
`_sql_<concern>.py` / `_memory_<concern>.py` for core (shared state), jobs, leases, blobs, settings and stats,
composed in `_sql_store.py` / `_memory_store.py`. Beside them: `_types` (value objects), `_policy` (rules both
stores share, `StoreOptions`, `KeptRefs`), `_rows` (row conversions), `_models`/`_sql` (tables, hot statements),
`_db` (units of work), `_migrate`/`_open` (start-up), `_worker`/`_context`/`_lease`/`_outcome` (the worker loop),
`_previews` (the instant-preview lane beside it).
Challenges and the style library are packages of their own, `jobqueue.challenges` and `jobqueue.styles`, whose
public names are re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundation import lazy_exports

from jobqueue._context import AbortReason, BatchHandler, Handler, HandlerResult, JobContext
from jobqueue._policy import KeptRefs, StoreOptions
from jobqueue._previews import PREVIEW_LEASE, MakePreview, PreviewLane
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
    PreviewState,
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
    BatchFailed,
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
from jobqueue.styles import (
    NewStyle,
    OwnerForgotten,
    Style,
    StyleError,
    StyleLimitReached,
    StyleNameTaken,
    StyleNotFound,
    StyleStore,
)

if TYPE_CHECKING:
    from typing import Any

    from jobqueue._migrate import check_schema, expected_revision, upgrade_schema
    from jobqueue._sql_store import SqlJobStore
    from jobqueue.challenges._rows import challenge_kept_refs
    from jobqueue.challenges._store import SqlChallengeStore
    from jobqueue.styles._rows import style_kept_refs
    from jobqueue.styles._store import SqlStyleStore

_LAZY = {
    "SqlChallengeStore": "jobqueue.challenges._store",
    "SqlJobStore": "jobqueue._sql_store",
    "SqlStyleStore": "jobqueue.styles._store",
    "style_kept_refs": "jobqueue.styles._rows",
    "challenge_kept_refs": "jobqueue.challenges._rows",
    "check_schema": "jobqueue._migrate",
    "expected_revision": "jobqueue._migrate",
    "upgrade_schema": "jobqueue._migrate",
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
    "PREVIEW_LEASE",
    "TERMINAL_STATES",
    "AbortReason",
    "BatchFailed",
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
    "KeptRefs",
    "LeaseLost",
    "MakePreview",
    "NewChallenge",
    "NewJob",
    "NewStyle",
    "NotEntryOwner",
    "OwnerForgotten",
    "PermanentError",
    "Position",
    "PreviewLane",
    "PreviewState",
    "QueueLimitExceeded",
    "QueueStats",
    "RankedEntry",
    "RetryableError",
    "SchemaMismatch",
    "SelfVote",
    "SqlChallengeStore",
    "SqlJobStore",
    "SqlStyleStore",
    "StoreOptions",
    "Style",
    "StyleError",
    "StyleLimitReached",
    "StyleNameTaken",
    "StyleNotFound",
    "StyleStore",
    "TargetKind",
    "VoteResult",
    "Worker",
    "WorkerInfo",
    "WorkerStats",
    "challenge_kept_refs",
    "check_schema",
    "expected_revision",
    "next_event",
    "open_store",
    "phase_at",
    "rank_entries",
    "style_kept_refs",
    "upgrade_schema",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
