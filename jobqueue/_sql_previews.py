"""Instant previews in `SqlJobStore`: which active jobs still need one, recording it, and which to show.

A job's preview is one picture made once by the preview lane (`jobqueue.PreviewLane`) while the job waits or runs, and
shown once on its status message by the delivery loop that edits it: `preview_state` goes NULL → `ready` (or `none`)
→ `shown`. Recording is conditional on the state still being NULL, so a second lane (after a lease takeover) cannot
overwrite it; a picture that loses that race is deleted again unless another row uses it.
"""

from __future__ import annotations

from sqlalchemy import select, update

from jobqueue._db import Tx
from jobqueue._rows import job_from_row
from jobqueue._sql import JOBS, state_is
from jobqueue._sql_blobs import drop_unused_blobs
from jobqueue._sql_core import SqlCore
from jobqueue._types import Job, PreviewState

__all__ = ["SqlPreviews"]

c = JOBS.c


class SqlPreviews(SqlCore):
    """Instant previews (see `JobStore.preview_candidates`)."""

    async def preview_candidates(self, *, limit: int = 10) -> list[Job]:
        query = (
            select(JOBS)
            .where(state_is("queued", "running"), c.preview_state.is_(None))
            .order_by(c.preview_state, c.id)
            .limit(limit)
        )
        return await self.db.read(lambda tx: [job_from_row(r) for r in tx.conn.execute(query)])

    async def record_preview(self, job_id: int, image: bytes | None, *, content_type: str = "image/jpeg") -> bool:
        sha = await self.put_blob(image, content_type) if image else None
        state = PreviewState.READY if sha else PreviewState.NONE
        stmt = (
            update(JOBS)
            .where(c.id == job_id, state_is("queued", "running"), c.preview_state.is_(None))
            .values(preview_sha=sha, preview_state=state.value)
        )

        def write(tx: Tx) -> bool:
            if tx.conn.execute(stmt).rowcount == 1:
                return True
            drop_unused_blobs(tx, [sha], self.kept.blobs)
            return False

        return await self.db.write(write)

    async def previews_to_show(self, *, limit: int = 20) -> list[Job]:
        query = (
            select(JOBS)
            .where(
                state_is("queued", "running"),
                c.preview_state == PreviewState.READY.value,
                c.status_message_id.is_not(None),
            )
            .order_by(c.preview_state, c.id)
            .limit(limit)
        )
        return await self.db.read(lambda tx: [job_from_row(r) for r in tx.conn.execute(query)])

    async def mark_preview_shown(self, job_id: int) -> None:
        stmt = (
            update(JOBS)
            .where(c.id == job_id, c.preview_state == PreviewState.READY.value)
            .values(preview_state=PreviewState.SHOWN.value)
        )
        await self.db.write(lambda tx: tx.conn.execute(stmt))
