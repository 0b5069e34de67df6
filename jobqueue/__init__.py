"""Durable style-transfer job queue: the only package with SQL.

    store = await jobqueue.open_store(url)        # SQLite or PostgreSQL; migrates under a lock
    job = await store.enqueue(NewJob(...))
    [job] = await store.claim("worker-1", lease_seconds=30)

`JobStore` is the interface; `jobqueue.testing.InMemoryJobStore` is its in-memory twin for tests.
"""

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
from jobqueue.errors import (
    BlobNotFound,
    DatabaseUnavailable,
    InvalidTransition,
    JobNotFound,
    JobQueueError,
    LeaseLost,
    QueueLimitExceeded,
    SchemaMismatch,
)

__all__ = [
    "TERMINAL_STATES",
    "BlobNotFound",
    "DatabaseUnavailable",
    "DeliveryTarget",
    "EnqueueLimits",
    "GuildSettings",
    "InvalidTransition",
    "Job",
    "JobNotFound",
    "JobProgress",
    "JobQueueError",
    "JobState",
    "JobStore",
    "LeaseLost",
    "NewJob",
    "Position",
    "QueueLimitExceeded",
    "QueueStats",
    "SchemaMismatch",
    "StoreOptions",
    "TargetKind",
    "WorkerInfo",
]
