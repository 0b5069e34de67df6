"""Blobs in `InMemoryJobStore` and their retention, `gc` and `forget_user` (the twin of `jobqueue._sql_blobs`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from jobqueue._memory_core import KeptFn, MemoryCore, job_shas
from jobqueue._types import TERMINAL_STATES, Job, JobState, TargetKind
from jobqueue.errors import BlobNotFound

__all__ = ["MemoryBlobs"]


def _job_kept(job: Job, cutoff: datetime) -> bool:
    if job.state not in TERMINAL_STATES or job.finished_at is None or job.finished_at >= cutoff:
        return True
    if job.created_at is not None and job.created_at >= cutoff:
        return True
    return job.delivered_at is None and job.target.kind != TargetKind.NONE


async def kept_values(refs: tuple[KeptFn, ...]) -> set[Any]:
    return {value for fn in refs for value in await fn()}


class MemoryBlobs(MemoryCore):
    """Storing and reading blobs; deleting those nothing needs any more."""

    async def put_blob(self, data: bytes, content_type: str = "image/png") -> str:
        return self._store_blob(data)

    async def get_blob(self, sha: str) -> bytes:
        try:
            return self._blobs[sha][0]
        except KeyError:
            raise BlobNotFound(sha) from None

    async def forget_user(self, user_id: int) -> int:
        async with self._lock:
            for forget_rows in self.kept.forget:  # other features' rows about the member (challenge entries, votes)
                await forget_rows(user_id)
            kept_ids = await kept_values(self.kept.jobs)
            doomed = [
                j
                for j in self._jobs.values()
                if j.user_id == user_id and j.state != JobState.RUNNING and j.id not in kept_ids
            ]
            for job in doomed:
                del self._jobs[job.id]
                self._rank.pop(job.id, None)
            still = (await kept_values(self.kept.blobs)).union(*(job_shas(j) for j in self._jobs.values()))
            for sha in set().union(*(job_shas(j) for j in doomed)) - still:
                self._blobs.pop(sha, None)
            return len(doomed)

    async def gc(self, *, retention_seconds: float) -> int:
        async with self._lock:
            cutoff = self._now() - timedelta(seconds=retention_seconds)
            live = (job_shas(j) for j in self._jobs.values() if _job_kept(j, cutoff))
            kept = (await kept_values(self.kept.blobs)).union(*live)
            doomed = [sha for sha, (_, created) in self._blobs.items() if sha not in kept and created < cutoff]
            for sha in doomed:
                del self._blobs[sha]
            return len(doomed)
