"""Jobs in `SqlJobStore`: enqueue, read, cancel, retry, purge, and the delivery bookkeeping of finished jobs
(an interaction token is kept until the job is delivered or its 15 minutes are over, `expire_interaction_tokens`).

`get_job`, `enqueue_job` and `cancel_job` are units of work of one open transaction (`Tx`), public so that other
features' units (challenge entries) run them inside their own transaction; the store's methods wrap them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, text, update

from jobqueue._db import Tx
from jobqueue._policy import INTERACTION_TOKEN_SECONDS, RETRYABLE_FROM, check_enqueue_limits
from jobqueue._rows import job_from_row, new_job, new_job_values
from jobqueue._sql import FAIR_RANK, INSERT_JOB, JOB_BY_ID, JOB_BY_KEY, JOBS, state_is
from jobqueue._sql_blobs import drop_unused_blobs
from jobqueue._sql_core import SqlCore
from jobqueue._types import TERMINAL_STATES, EnqueueLimits, Job, JobState, NewJob
from jobqueue.errors import InvalidTransition, JobNotFound

__all__ = ["SqlJobs", "cancel_job", "enqueue_job", "get_job"]

c = JOBS.c
_CLEARED_ON_RETRY = (
    *("delivered_at", "finished_at", "started_at", "not_before", "cancelled_by", "error", "result_sha"),
    *("lease_owner", "lease_token", "lease_expires_at", "deadline_at", "progress_step", "progress_total"),
    *("progress_loss", "progress_preview_sha", "progress_updated_at"),
)
_UNDELIVERED = text("delivered_at IS NULL AND target_kind <> 'none'")
_TERMINAL = [s.value for s in TERMINAL_STATES]


def get_job(tx: Tx, job_id: int) -> Job:
    """The job as stored now; raises `JobNotFound`."""
    rows = tx.fast(JOB_BY_ID, {"job_id": job_id})
    if not rows:
        raise JobNotFound(job_id)
    return job_from_row(rows[0])


def _insert_values(new: NewJob, now: float) -> dict[str, Any]:
    values = new_job_values(new, now=now)
    values["rank_user"] = new.user_id  # the fair-share rank's subquery
    return values


def _lock_key(scope: str, ident: int) -> tuple[int, int]:
    return zlib.crc32(scope.encode()) - 2**31, zlib.crc32(str(ident).encode()) - 2**31


def _check_limits(tx: Tx, new: NewJob, limits: EnqueueLimits) -> None:
    if tx.conn.dialect.name == "postgresql":  # serialise concurrent enqueues of one guild/user while counting
        for scope, ident in (("guild", new.guild_id), ("user", new.user_id)):
            if ident is not None:
                a, b = _lock_key(scope, ident)
                tx.conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": a, "b": b})
    columns = {"user": c.user_id, "guild": c.guild_id}

    def count_active(scope: str, ident: int) -> int:
        active = select(func.count()).where(columns[scope] == ident, state_is("queued", "running"))
        return int(tx.conn.execute(active).scalar_one())

    check_enqueue_limits(new, limits, count_active)


def enqueue_job(tx: Tx, new: NewJob, limits: EnqueueLimits | None, now: float) -> Job:
    """Enqueue inside an open transaction, the limits counted with the insert; idempotent on the job's key."""
    if new.idempotency_key is not None and (rows := tx.fast(JOB_BY_KEY, {"key": new.idempotency_key})):
        return job_from_row(rows[0])  # the existing job is returned without counting it against the limits
    if limits is not None:
        _check_limits(tx, new, limits)
    values = _insert_values(new, now)
    rows = tx.fast(INSERT_JOB[tx.conn.dialect.name], values)
    if not rows:  # a concurrent enqueue with the same key committed first
        return job_from_row(tx.fast(JOB_BY_KEY, {"key": new.idempotency_key})[0])
    return new_job(rows[0][0], new, values)


def cancel_job(tx: Tx, job_id: int, by: int | None, now: float) -> Job:
    """Cancel a queued job at once, ask a running one to stop; `InvalidTransition` for a finished one."""
    base = update(JOBS).where(c.id == job_id).returning(*JOBS.c)
    row = tx.conn.execute(
        base.where(state_is("queued")).values(state="cancelled", finished_at=now, cancelled_by=by)
    ).first()
    if row is None:
        row = tx.conn.execute(base.where(state_is("running")).values(cancel_requested=True, cancelled_by=by)).first()
    if row is None:
        job = get_job(tx, job_id)
        raise InvalidTransition(job_id, job.state, "cancel")
    return job_from_row(row)


def _retry(tx: Tx, job_id: int, kept: tuple[Any, ...]) -> Job:
    job = get_job(tx, job_id)
    if job.state not in RETRYABLE_FROM:
        raise InvalidTransition(job_id, job.state, "retry")
    cleared = dict.fromkeys(_CLEARED_ON_RETRY)
    stmt = (
        update(JOBS)
        .where(c.id == job_id, c.state.in_([s.value for s in RETRYABLE_FROM]))
        .values(
            state="queued",
            attempts=0,
            cancel_requested=False,
            result_meta="{}",
            fair_rank=FAIR_RANK[tx.conn.dialect.name],
            **cleared,
        )
        .returning(*JOBS.c)
    )
    row = tx.conn.execute(stmt, {"rank_user": job.user_id}).first()
    if row is None:
        raise InvalidTransition(job_id, get_job(tx, job_id).state, "retry")
    drop_unused_blobs(tx, [job.progress.preview_sha if job.progress else None], kept)  # the last run's preview
    return job_from_row(row)


def _touch(tx: Tx, job_id: int, stmt: Any) -> None:
    if not tx.conn.execute(stmt.returning(c.id)).first():
        get_job(tx, job_id)  # raises JobNotFound; an already delivered job is fine


class SqlJobs(SqlCore):
    """Producers, readers and admins of jobs; delivery's bookkeeping."""

    async def enqueue(self, new: NewJob, *, limits: EnqueueLimits | None = None) -> Job:
        now = self._now()
        if limits is not None:  # count queued+running and insert in one transaction
            return await self.db.write(lambda tx: enqueue_job(tx, new, limits, now))
        # one statement (ON CONFLICT DO NOTHING on the idempotency key): no transaction needed
        values = _insert_values(new, now)
        [rows] = await self.db.run_fast([(INSERT_JOB[self.dialect], values)])
        if rows:
            return new_job(rows[0][0], new, values)
        existing = await self.db.read(lambda tx: tx.fast(JOB_BY_KEY, {"key": new.idempotency_key}))
        if not existing:  # the first job with this key was forgotten in between: insert again
            return await self.enqueue(new)
        return job_from_row(existing[0])

    async def get(self, job_id: int) -> Job:
        return await self.db.read(lambda tx: get_job(tx, job_id))

    async def list_jobs(
        self,
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        states: Iterable[JobState] | None = None,
        kind: str | None = None,
        limit: int = 20,
    ) -> list[Job]:
        q = select(JOBS).order_by(c.id.desc()).limit(limit)
        if user_id is not None:
            q = q.where(c.user_id == user_id)
        if guild_id is not None:
            q = q.where(c.guild_id == guild_id)
        if states is not None:
            q = q.where(c.state.in_([JobState(s).value for s in states]))
        if kind is not None:
            q = q.where(c.kind == kind)
        rows = await self.db.read(lambda tx: tx.conn.execute(q).all())
        return [job_from_row(r) for r in rows]

    # admin
    async def cancel(self, job_id: int, *, by: int | None = None) -> Job:
        now = self._now()
        return await self.db.write(lambda tx: cancel_job(tx, job_id, by, now))

    async def retry(self, job_id: int) -> Job:
        return await self.db.write(lambda tx: _retry(tx, job_id, self.kept.blobs))

    async def purge(self, *, guild_id: int | None = None, user_id: int | None = None) -> int:
        stmt = update(JOBS).where(state_is("queued")).values(state="cancelled", finished_at=self._now())
        if guild_id is not None:
            stmt = stmt.where(c.guild_id == guild_id)
        if user_id is not None:
            stmt = stmt.where(c.user_id == user_id)
        return await self.db.write(lambda tx: len(tx.conn.execute(stmt.returning(c.id)).all()))

    # delivery
    async def pending_deliveries(self, *, limit: int = 20) -> list[Job]:
        q = select(JOBS).where(_UNDELIVERED, c.state.in_(_TERMINAL)).order_by(c.finished_at, c.id).limit(limit)
        return [job_from_row(r) for r in await self.db.read(lambda tx: tx.conn.execute(q).all())]

    async def mark_delivered(self, job_id: int) -> None:
        """Delivered (once; the first time stays) and the interaction token is dropped: nothing needs it now."""
        delivered = func.coalesce(c.delivered_at, self._now())
        stmt = update(JOBS).where(c.id == job_id).values(delivered_at=delivered, interaction_token=None)
        await self.db.write(lambda tx: _touch(tx, job_id, stmt))

    async def expire_interaction_tokens(self, *, max_age_seconds: float = INTERACTION_TOKEN_SECONDS) -> int:
        cutoff = self._now() - max_age_seconds
        born = func.coalesce(c.token_created_at, c.created_at)
        stmt = update(JOBS).where(c.interaction_token.is_not(None), born < cutoff).values(interaction_token=None)
        return await self.db.write(lambda tx: len(tx.conn.execute(stmt.returning(c.id)).all()))

    async def set_status_message(self, job_id: int, message_id: int) -> None:
        stmt = update(JOBS).where(c.id == job_id).values(status_message_id=message_id)
        await self.db.write(lambda tx: _touch(tx, job_id, stmt))
