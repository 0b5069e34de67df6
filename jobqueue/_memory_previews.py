"""Instant previews in `InMemoryJobStore` (the twin of `jobqueue._sql_previews`)."""

from __future__ import annotations

import dataclasses

from jobqueue._memory_core import MemoryCore
from jobqueue._policy import ACTIVE_STATES
from jobqueue._types import Job, PreviewState

__all__ = ["MemoryPreviews"]


class MemoryPreviews(MemoryCore):
    """Instant previews (see `JobStore.preview_candidates`)."""

    def _active(self, state: PreviewState | None) -> list[Job]:
        return sorted(
            (j for j in self._jobs.values() if j.state in ACTIVE_STATES and j.preview_state is state),
            key=lambda j: j.id,
        )

    async def preview_candidates(self, *, limit: int = 10) -> list[Job]:
        async with self._lock:
            return self._active(None)[:limit]

    async def record_preview(self, job_id: int, image: bytes | None, *, content_type: str = "image/jpeg") -> bool:
        async with self._lock:
            sha = self._store_blob(image) if image else None
            job = self._jobs.get(job_id)
            if job is None or job.state not in ACTIVE_STATES or job.preview_state is not None:
                await self._drop_unused_blobs([sha])
                return False
            state = PreviewState.READY if sha else PreviewState.NONE
            self._jobs[job_id] = dataclasses.replace(job, preview_sha=sha, preview_state=state)
            return True

    async def previews_to_show(self, *, limit: int = 20) -> list[Job]:
        async with self._lock:
            ready = self._active(PreviewState.READY)
            return [j for j in ready if j.target.status_message_id is not None][:limit]

    async def mark_preview_shown(self, job_id: int) -> None:
        async with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.preview_state is PreviewState.READY:
                self._jobs[job_id] = dataclasses.replace(job, preview_state=PreviewState.SHOWN)
