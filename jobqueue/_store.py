"""`SqlJobStore`: the `JobStore` on SQLite or PostgreSQL. This module holds the worker's lease-guarded writes,
delivery bookkeeping and housekeeping; producers, readers and admin live in `jobqueue._store_base`.

Other features (challenges, …) reach the same database through `store.db` (`Database.write(fn)` / `read(fn)`) with
their own tables and Alembic revisions, and keep their blobs/jobs from GC with `register_kept_blobs/jobs`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select, text, union, update

from jobqueue._db import Tx
from jobqueue._policy import check_guild_changes, new_lease_token
from jobqueue._rows import JOB_COLUMNS, dumps_compact, guild_from_row, guild_to_values, job_from_row
from jobqueue._sql import (
    BLOBS,
    COMPLETE,
    COMPLETE_PROGRESS,
    GUILDS,
    HEARTBEAT,
    HEARTBEAT_PROGRESS,
    INSERT_BLOB,
    JOBS,
    META,
    claim_for,
    state_is,
)
from jobqueue._store_base import SqlStoreBase, upsert
from jobqueue._types import TERMINAL_STATES, GuildSettings, Job, JobProgress, JobState
from jobqueue.errors import LeaseLost

__all__ = ["SqlJobStore"]

c = JOBS.c
_RANK = JOB_COLUMNS.index("fair_rank")
_PRIORITY = JOB_COLUMNS.index("priority")
_NO_LEASE: dict[str, Any] = {"lease_token": None, "lease_expires_at": None, "deadline_at": None}
UNDELIVERED = text("delivered_at IS NULL AND target_kind <> 'none'")
_TERMINAL = [s.value for s in TERMINAL_STATES]


def _order(row: tuple[Any, ...]) -> tuple[int, int, int]:
    return (row[_RANK], -row[_PRIORITY], row[0])


def _shas(content: str | None, styles: str | None, result: str | None, preview: str | None) -> set[str]:
    out = {s for s in (content, result, preview) if s}
    out.update(json.loads(styles) if styles else ())
    return out


class SqlJobStore(SqlStoreBase):
    """The durable `JobStore` (see `jobqueue.open_store`)."""

    # the worker's side
    async def claim(
        self, worker_id: str, *, lease_seconds: float, limit: int = 1, batch_key: str | None = None
    ) -> list[Job]:
        if limit < 1:
            return []
        now = self._now()
        params: dict[str, Any] = {"now": now, "expires": now + lease_seconds}
        params["default_limit"] = self.options.job_time_limit
        params |= {"worker": worker_id, "new_lease": new_lease_token()}
        if batch_key is not None:
            params["want_batch"] = batch_key
        stmt = claim_for(self.dialect, batch=batch_key is not None, limit=min(limit, 100))
        [rows] = await self.db.run_fast([(stmt, params)])
        return [job_from_row(r) for r in sorted(rows, key=_order)]

    async def heartbeat(self, job: Job, *, lease_seconds: float, progress: JobProgress | None = None) -> bool:
        now = self._now()
        params: dict[str, Any] = {
            "job_id": job.id,
            "lease": job.lease_token,
            "now": now,
            "expires": now + lease_seconds,
        }
        stmt = HEARTBEAT
        if progress is not None:
            stmt = HEARTBEAT_PROGRESS
            params |= {"step": progress.step, "total": progress.total, "loss": progress.loss}
            params["preview_sha"] = progress.preview_sha
        [rows] = await self.db.run_fast([(stmt, params)])
        if not rows:
            raise LeaseLost(job.id, job.lease_owner)
        return bool(rows[0][0])

    async def complete(
        self, job: Job, *, result: bytes, meta: dict[str, Any], progress: JobProgress | None = None
    ) -> Job:
        now, data = self._now(), bytes(result)
        sha = hashlib.sha256(data).hexdigest()
        blob = {"sha": sha, "data": data, "size": len(data), "content_type": "image/png", "now": now}
        done = {"job_id": job.id, "lease": job.lease_token, "now": now, "b_result_sha": sha}
        done["b_result_meta"] = dumps_compact(meta)
        stmt = COMPLETE
        if progress is not None:
            stmt = COMPLETE_PROGRESS
            done |= {"step": progress.step, "total": progress.total, "loss": progress.loss}
        # SQLite: one transaction. PostgreSQL: two autocommit statements; the blob insert is idempotent and a blob
        # left behind by a lost lease is collected by gc.
        _, rows = await self.db.run_fast([(INSERT_BLOB[self.dialect], blob), (stmt, done)])
        if not rows:
            raise LeaseLost(job.id, job.lease_owner)
        return job_from_row(rows[0])

    def _guarded(self, tx: Tx, job: Job, **values: Any) -> Job:
        stmt = (
            update(JOBS)
            .where(c.id == job.id, c.lease_token == job.lease_token, c.state == JobState.RUNNING.value)
            .values(**values)
            .returning(*JOBS.c)
        )
        row = tx.conn.execute(stmt).first()
        if row is None:
            raise LeaseLost(job.id, job.lease_owner)
        return job_from_row(row)

    def _fail(self, tx: Tx, job: Job, error: str, retryable: bool, now: float) -> Job:
        row = tx.conn.execute(
            select(c.attempts, c.max_attempts).where(c.id == job.id, c.lease_token == job.lease_token)
        ).first()
        if row is None:
            raise LeaseLost(job.id, job.lease_owner)
        attempts, max_attempts = row
        if retryable and attempts < max_attempts:
            not_before = now + self.options.backoff(attempts).total_seconds()
            return self._guarded(tx, job, state="queued", error=error, not_before=not_before, **_NO_LEASE)
        state = JobState.DEAD if retryable else JobState.FAILED
        return self._guarded(tx, job, state=state.value, error=error, finished_at=now, **_NO_LEASE)

    async def fail(self, job: Job, *, error: str, retryable: bool) -> Job:
        now = self._now()
        return await self.db.write(lambda tx: self._fail(tx, job, error, retryable, now))

    async def release(self, job: Job) -> Job:
        values = {"state": "queued", "attempts": c.attempts - 1, "not_before": None, **_NO_LEASE}
        return await self.db.write(lambda tx: self._guarded(tx, job, **values))

    async def mark_cancelled(self, job: Job) -> Job:
        now = self._now()
        return await self.db.write(lambda tx: self._guarded(tx, job, state="cancelled", finished_at=now, **_NO_LEASE))

    def _reap(self, tx: Tx, now: float) -> int:
        running = state_is("running")
        n = 0
        limit_col = c.deadline_at - c.started_at
        late = select(c.id, c.lease_token, c.lease_owner, limit_col).where(running, c.deadline_at < now)
        for jid, token, owner, limit in tx.conn.execute(late).all():
            msg = f"time limit of {limit:g} s exceeded (worker {owner})"
            n += self._reap_update(tx, jid, token, state="failed", error=msg, finished_at=now)
        cols = (c.id, c.lease_token, c.lease_owner, c.attempts, c.max_attempts, c.cancel_requested)
        for jid, token, owner, attempts, max_attempts, cancel in tx.conn.execute(
            select(*cols).where(running, c.lease_expires_at < now)
        ).all():
            msg = f"lease expired on attempt {attempts} (worker {owner} stopped heartbeating)"
            if cancel:
                n += self._reap_update(tx, jid, token, state="cancelled", finished_at=now)
            elif attempts < max_attempts:
                nb = now + self.options.backoff(attempts).total_seconds()
                n += self._reap_update(tx, jid, token, state="queued", error=msg, not_before=nb)
            else:
                n += self._reap_update(tx, jid, token, state="dead", error=msg, finished_at=now)
        return n

    @staticmethod
    def _reap_update(tx: Tx, job_id: int, token: str | None, **values: Any) -> int:
        stmt = update(JOBS).where(c.id == job_id, c.lease_token == token, c.state == JobState.RUNNING.value)
        return len(tx.conn.execute(stmt.values(**values, **_NO_LEASE).returning(c.id)).all())

    async def reap_expired(self) -> int:
        now = self._now()
        return await self.db.write(lambda tx: self._reap(tx, now))

    # delivery
    async def pending_deliveries(self, *, limit: int = 20) -> list[Job]:
        q = select(JOBS).where(UNDELIVERED, c.state.in_(_TERMINAL)).order_by(c.finished_at, c.id).limit(limit)
        return [job_from_row(r) for r in await self.db.read(lambda tx: tx.conn.execute(q).all())]

    def _touch(self, tx: Tx, job_id: int, stmt: Any) -> None:
        if not tx.conn.execute(stmt.returning(c.id)).first():
            self._get(tx, job_id)  # raises JobNotFound; an already delivered job is fine

    async def mark_delivered(self, job_id: int) -> None:
        stmt = update(JOBS).where(c.id == job_id, c.delivered_at.is_(None)).values(delivered_at=self._now())
        await self.db.write(lambda tx: self._touch(tx, job_id, stmt))

    async def set_status_message(self, job_id: int, message_id: int) -> None:
        stmt = update(JOBS).where(c.id == job_id).values(status_message_id=message_id)
        await self.db.write(lambda tx: self._touch(tx, job_id, stmt))

    # settings and housekeeping
    @staticmethod
    def _guild(tx: Tx, guild_id: int) -> GuildSettings:
        row = tx.conn.execute(select(GUILDS).where(GUILDS.c.guild_id == guild_id)).first()
        return guild_from_row(row._mapping if row is not None else None, guild_id)

    async def get_guild_settings(self, guild_id: int) -> GuildSettings:
        return await self.db.read(lambda tx: self._guild(tx, guild_id))

    def _update_guild(self, tx: Tx, guild_id: int, changes: dict[str, Any], now: float) -> GuildSettings:
        new = dataclasses.replace(self._guild(tx, guild_id), **changes)
        tx.conn.execute(upsert(self.dialect, GUILDS, guild_to_values(new, now=now), ["guild_id"]))
        return new

    async def update_guild_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        checked, now = check_guild_changes(changes), self._now()
        return await self.db.write(lambda tx: self._update_guild(tx, guild_id, checked, now))

    async def get_meta(self, key: str) -> str | None:
        return await self.db.read(lambda tx: tx.conn.execute(select(META.c.value).where(META.c.key == key)).scalar())

    async def set_meta(self, key: str, value: str) -> None:
        stmt = upsert(self.dialect, META, {"key": key, "value": value}, ["key"])
        await self.db.write(lambda tx: tx.conn.execute(stmt))

    def _hook_values(self, tx: Tx, queries: Iterable[Any]) -> set[Any]:
        if not queries:
            return set()
        return set(tx.conn.execute(union(*queries)).scalars())

    def _referenced(self, tx: Tx, where: Any = None) -> set[str]:
        q = select(c.content_sha, c.style_shas, c.result_sha, c.progress_preview_sha)
        rows = tx.conn.execute(q if where is None else q.where(where))
        return set().union(*(_shas(*r) for r in rows)) | self._hook_values(tx, self.kept.blobs)

    def _forget(self, tx: Tx, user_id: int) -> int:
        kept = self._hook_values(tx, self.kept.jobs)
        doomed = select(c.id, c.content_sha, c.style_shas, c.result_sha, c.progress_preview_sha).where(
            c.user_id == user_id, c.state != JobState.RUNNING.value
        )
        rows = [r for r in tx.conn.execute(doomed) if r[0] not in kept]
        candidates = set().union(*(_shas(*r[1:]) for r in rows))
        for chunk in _chunks([r[0] for r in rows]):
            tx.conn.execute(delete(JOBS).where(c.id.in_(chunk)))
        self._delete_blobs(tx, candidates - self._referenced(tx))
        return len(rows)

    async def forget_user(self, user_id: int) -> int:
        return await self.db.write(lambda tx: self._forget(tx, user_id))

    @staticmethod
    def _delete_blobs(tx: Tx, shas: Iterable[str]) -> int:
        n = 0
        for chunk in _chunks(sorted(shas)):
            n += len(tx.conn.execute(delete(BLOBS).where(BLOBS.c.sha.in_(chunk)).returning(BLOBS.c.sha)).all())
        return n

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
        return self._delete_blobs(tx, [sha for sha in old if sha not in kept])

    async def gc(self, *, retention_seconds: float) -> int:
        cutoff = self._now() - retention_seconds
        return await self.db.write(lambda tx: self._gc(tx, cutoff))


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
