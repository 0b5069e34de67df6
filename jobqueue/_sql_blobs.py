"""Blobs in `SqlJobStore` (content-addressed by sha256) and their retention: `gc` and `forget_user`.

A blob is kept while a job that may still need it references it, or while another feature's kept references
(`self.kept.blobs`, e.g. open challenges) name it; `forget_user` also leaves the jobs in `self.kept.jobs` alone, and
first runs the features' own forgetting (`self.kept.forget`). `drop_unused_blobs` deletes blobs a unit of work has
just stopped referencing (a superseded progress preview) unless another row still uses them: blobs are shared.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, delete, or_, select, union

from jobqueue._db import Tx
from jobqueue._sql import BLOBS, INSERT_BLOB, JOBS
from jobqueue._sql_core import SqlCore, chunks
from jobqueue._types import TERMINAL_STATES, JobState
from jobqueue.errors import BlobNotFound

__all__ = ["JOB_BLOB_COLUMNS", "SqlBlobs", "delete_blobs", "drop_unused_blobs", "job_row_shas", "kept_values"]

c = JOBS.c
_TERMINAL = [s.value for s in TERMINAL_STATES]
BULKY_BLOB = 256 * 1024  # bytes: a blob this large is written off the event loop (1 MiB inline held it ~3 ms)


# the columns of a job row that name blobs, in `job_row_shas`'s order
JOB_BLOB_COLUMNS = (c.content_sha, c.style_shas, c.result_sha, c.progress_preview_sha, c.preview_sha)


def job_row_shas(
    content: str | None, styles: str | None, result: str | None, progress: str | None, preview: str | None
) -> set[str]:
    out = {s for s in (content, result, progress, preview) if s}
    out.update(json.loads(styles) if styles else ())
    return out


def kept_values(tx: Tx, queries: tuple[Select[Any], ...]) -> set[Any]:
    if not queries:
        return set()
    return set(tx.conn.execute(union(*queries)).scalars())


def delete_blobs(tx: Tx, shas: Iterable[str]) -> int:
    n = 0
    for chunk in chunks(sorted(shas)):
        n += len(tx.conn.execute(delete(BLOBS).where(BLOBS.c.sha.in_(chunk)).returning(BLOBS.c.sha)).all())
    return n


def _in_use(tx: Tx, sha: str, kept: tuple[Select[Any], ...]) -> bool:
    uses = or_(
        c.content_sha == sha,
        c.result_sha == sha,
        c.progress_preview_sha == sha,
        c.preview_sha == sha,
        c.style_shas.contains(f'"{sha}"'),  # a JSON list of hex shas
    )
    if tx.conn.execute(select(c.id).where(uses).limit(1)).first() is not None:
        return True
    return sha in kept_values(tx, kept)


def drop_unused_blobs(tx: Tx, shas: Iterable[str | None], kept: tuple[Select[Any], ...]) -> int:
    """Delete those of `shas` that no job row and no kept reference uses any more (in the caller's transaction)."""
    return delete_blobs(tx, [sha for sha in set(shas) if sha and not _in_use(tx, sha, kept)])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class SqlBlobs(SqlCore):
    """Storing and reading blobs; deleting those nothing needs any more."""

    async def put_blob(self, data: bytes, content_type: str = "image/png") -> str:
        data, now = bytes(data), self._now()
        bulky = len(data) >= BULKY_BLOB  # megabytes: hashed and written off the event loop (`Database.write`)
        sha = await asyncio.to_thread(_sha256, data) if bulky else _sha256(data)
        params = {"sha": sha, "data": data, "size": len(data), "content_type": content_type, "now": now}
        if bulky:
            await self.db.write(lambda tx: tx.fast(INSERT_BLOB[self.dialect], params), bulky=True)
        else:
            await self.db.run_fast([(INSERT_BLOB[self.dialect], params)])
        return sha

    async def get_blob(self, sha: str) -> bytes:
        query = select(BLOBS.c.data).where(BLOBS.c.sha == sha)
        row = await self.db.read(lambda tx: tx.conn.execute(query).first(), bulky=True)  # may be megabytes
        if row is None:
            raise BlobNotFound(sha)
        return bytes(row[0])

    def _referenced(self, tx: Tx, where: Any = None) -> set[str]:
        q = select(*JOB_BLOB_COLUMNS)
        rows = tx.conn.execute(q if where is None else q.where(where))
        return set().union(*(job_row_shas(*r) for r in rows)) | kept_values(tx, self.kept.blobs)

    def _forget(self, tx: Tx, user_id: int) -> int:
        for forget_rows in self.kept.forget:  # other features' rows about the member (challenge entries, votes)
            forget_rows(tx, user_id)
        kept = kept_values(tx, self.kept.jobs)
        doomed = select(c.id, *JOB_BLOB_COLUMNS).where(c.user_id == user_id, c.state != JobState.RUNNING.value)
        rows = [r for r in tx.conn.execute(doomed) if r[0] not in kept]
        candidates = set().union(*(job_row_shas(*r[1:]) for r in rows))
        for chunk in chunks([r[0] for r in rows]):
            tx.conn.execute(delete(JOBS).where(c.id.in_(chunk)))
        delete_blobs(tx, candidates - self._referenced(tx))
        return len(rows)

    async def forget_user(self, user_id: int) -> int:
        return await self.db.write(lambda tx: self._forget(tx, user_id))

    def _gc(self, tx: Tx, cutoff: float) -> int:
        kept_jobs = (
            c.state.not_in(_TERMINAL)
            | c.finished_at.is_(None)
            | (c.finished_at >= cutoff)
            | (c.created_at >= cutoff)
            | ((c.delivered_at.is_(None)) & (c.target_kind != "none"))
        )
        kept = self._referenced(tx, kept_jobs)
        old = tx.conn.execute(select(BLOBS.c.sha).where(BLOBS.c.created_at < cutoff)).scalars()
        return delete_blobs(tx, [sha for sha in old if sha not in kept])

    async def gc(self, *, retention_seconds: float) -> int:
        cutoff = self._now() - retention_seconds
        return await self.db.write(lambda tx: self._gc(tx, cutoff))
