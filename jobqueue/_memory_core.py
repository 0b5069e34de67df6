"""What every concern of `InMemoryJobStore` shares: its dicts (the "tables"), one asyncio lock standing in for the
database's transactions, the options (clock) and the kept references. The concerns are mixins over `MemoryCore`,
composed in `jobqueue._memory_store`, each beside its SQL twin (`jobqueue._sql_<concern>`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from jobqueue._policy import ACTIVE_STATES, KeptRefs, StoreOptions, next_fair_rank
from jobqueue._types import GuildSettings, Job, JobState, WorkerInfo
from jobqueue.errors import JobNotFound

__all__ = ["KeptFn", "MemoryCore", "job_shas"]

KeptFn = Callable[[], Awaitable[Iterable[Any]]]  # an in-memory kept reference (see `KeptRefs`)


def job_shas(job: Job) -> set[str]:
    """Every blob a job references: content, styles, result, progress preview, instant preview."""
    shas = {job.content_sha, *job.style_shas}
    for sha in (job.result_sha, job.preview_sha):
        if sha:
            shas.add(sha)
    if job.progress is not None and job.progress.preview_sha:
        shas.add(job.progress.preview_sha)
    return shas


class MemoryCore:
    """The state of an `InMemoryJobStore` and the helpers more than one concern uses."""

    def __init__(self, options: StoreOptions | None = None, *, kept: KeptRefs[KeptFn] | None = None) -> None:
        self.options = options or StoreOptions()
        self.kept: KeptRefs[KeptFn] = kept or KeptRefs()
        self._lock = asyncio.Lock()
        self._jobs: dict[int, Job] = {}
        self._rank: dict[int, int] = {}
        self._deadline: dict[int, datetime] = {}  # running jobs' time limits (job's own, else the claimer's)
        self._blobs: dict[str, tuple[bytes, datetime]] = {}
        self._workers: dict[str, WorkerInfo] = {}
        self._guilds: dict[int, GuildSettings] = {}
        self._meta: dict[str, str] = {}
        self._advisory: dict[str, tuple[str, datetime]] = {}  # advisory lease name → (holder, expires at)
        self._paused = False
        self._next_id = 1

    async def close(self) -> None:
        return None

    def _now(self) -> datetime:
        return self.options.now()

    def _job(self, job_id: int) -> Job:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise JobNotFound(job_id) from None

    def _set(self, job: Job, **changes: Any) -> Job:
        new = dataclasses.replace(job, **changes)
        self._jobs[job.id] = new
        return new

    def _fair_rank(self, user_id: int) -> int:
        queued = [self._rank[j.id] for j in self._jobs.values() if j.state == JobState.QUEUED]
        mine = [self._rank[j.id] for j in self._jobs.values() if j.user_id == user_id and j.state in ACTIVE_STATES]
        return next_fair_rank(min(queued, default=None), max(mine, default=None))

    def _order(self, job: Job) -> tuple[int, int, int]:
        return (self._rank[job.id], -job.priority, job.id)

    def _store_blob(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self._blobs.setdefault(sha, (bytes(data), self._now()))
        return sha

    async def _drop_unused_blobs(self, shas: Iterable[str | None]) -> None:
        """Delete those of `shas` that no job and no kept reference uses any more (`_sql_blobs.drop_unused_blobs`)."""
        doomed = {sha for sha in shas if sha}
        if not doomed:
            return
        for fn in self.kept.blobs:
            doomed -= set(await fn())
        for job in self._jobs.values():
            doomed -= job_shas(job)
        for sha in doomed:
            self._blobs.pop(sha, None)

    def _live_workers(self, within_seconds: float) -> list[WorkerInfo]:
        cutoff = self._now() - timedelta(seconds=within_seconds)
        return sorted(
            (w for w in self._workers.values() if w.last_heartbeat and w.last_heartbeat >= cutoff),
            key=lambda w: w.worker_id,
        )
