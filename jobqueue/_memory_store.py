"""`InMemoryJobStore`: the `JobStore` on dicts (see `jobqueue.testing`), composed of one mixin per concern, each
beside its SQL twin: `_memory_core` (state), `_memory_jobs`, `_memory_leases`, `_memory_blobs`, `_memory_settings`,
`_memory_stats`, `_memory_advisory`, `_memory_previews` (see `jobqueue._sql_store` for what each concern holds).
"""

from __future__ import annotations

from jobqueue._memory_advisory import MemoryAdvisory
from jobqueue._memory_blobs import MemoryBlobs
from jobqueue._memory_jobs import MemoryJobs
from jobqueue._memory_leases import MemoryLeases
from jobqueue._memory_previews import MemoryPreviews
from jobqueue._memory_settings import MemorySettings
from jobqueue._memory_stats import MemoryStats

__all__ = ["InMemoryJobStore"]


class InMemoryJobStore(
    MemoryJobs, MemoryLeases, MemoryBlobs, MemorySettings, MemoryStats, MemoryAdvisory, MemoryPreviews
):
    """A `JobStore` that keeps everything in memory (see `jobqueue.testing`)."""
