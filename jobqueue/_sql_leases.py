"""The worker's side of `SqlJobStore`: claims, the lease-guarded writes (heartbeat, complete, fail, release,
mark_cancelled), reaping of expired leases and time limits, and the registry of workers.

Every write by a worker matches the lease token `claim` put on its `Job`; a write that matches no row raises
`LeaseLost`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from jobqueue._db import Tx
from jobqueue._policy import new_lease_token
from jobqueue._rows import JOB_COLUMNS, dumps_compact, job_from_row, worker_from_row
from jobqueue._sql import (
    COMPLETE,
    COMPLETE_PROGRESS,
    HEARTBEAT,
    HEARTBEAT_PROGRESS,
    INSERT_BLOB,
    JOBS,
    WORKERS,
    claim_for,
    state_is,
)
from jobqueue._sql_blobs import drop_unused_blobs
from jobqueue._sql_core import SqlCore, upsert
from jobqueue._types import Job, JobProgress, JobState, WorkerInfo
from jobqueue.errors import LeaseLost

__all__ = ["SqlLeases", "read_live_workers"]

c = JOBS.c
_RANK = JOB_COLUMNS.index("fair_rank")
_PRIORITY = JOB_COLUMNS.index("priority")
_NO_LEASE: dict[str, Any] = {"lease_token": None, "lease_expires_at": None, "deadline_at": None}


def _order(row: tuple[Any, ...]) -> tuple[int, int, int]:
    return (row[_RANK], -row[_PRIORITY], row[0])


def read_live_workers(tx: Tx, cutoff: float) -> list[WorkerInfo]:
    """Workers that heartbeated at or after `cutoff` (epoch seconds), by id."""
    q = select(WORKERS).where(WORKERS.c.last_heartbeat >= cutoff).order_by(WORKERS.c.worker_id)
    return [worker_from_row(r._mapping) for r in tx.conn.execute(q)]


def _content_type(meta: dict[str, Any]) -> str:
    """The result blob's media type: the handler's `meta["content_type"]` (an animation is image/gif or image/webp,
    a still over the size limit image/jpeg), image/png when it names none."""
    kind = meta.get("content_type")
    return kind if isinstance(kind, str) and kind.startswith("image/") and len(kind) <= 64 else "image/png"


def _guarded(tx: Tx, job: Job, **values: Any) -> Job:
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


def _reap_update(tx: Tx, job_id: int, token: str | None, **values: Any) -> int:
    stmt = update(JOBS).where(c.id == job_id, c.lease_token == token, c.state == JobState.RUNNING.value)
    return len(tx.conn.execute(stmt.values(**values, **_NO_LEASE).returning(c.id)).all())


class SqlLeases(SqlCore):
    """Claims and lease-guarded writes of workers, reaping, and the worker registry."""

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
        if progress is not None:
            params |= {"step": progress.step, "total": progress.total, "loss": progress.loss}
            params["preview_sha"] = progress.preview_sha
            # the report replaces the last preview (with a new one, or none): deleted unless another row uses it;
            # SQLite runs the check off the event loop (it reads every job row)
            return await self.db.write(lambda tx: self._replace_preview(tx, job, params), bulky=True)
        [rows] = await self.db.run_fast([(HEARTBEAT, params)])
        if not rows:
            raise LeaseLost(job.id, job.lease_owner)
        return bool(rows[0][0])

    def _replace_preview(self, tx: Tx, job: Job, params: dict[str, Any]) -> bool:
        """Store the progress with its preview and delete the preview it supersedes, unless another row uses it."""
        old = tx.conn.execute(select(c.progress_preview_sha).where(c.id == job.id).with_for_update()).scalar()
        rows = tx.fast(HEARTBEAT_PROGRESS, params)
        if not rows:
            raise LeaseLost(job.id, job.lease_owner)
        if old is not None and old != params["preview_sha"]:
            drop_unused_blobs(tx, [old], self.kept.blobs)
        return bool(rows[0][0])

    async def complete(
        self, job: Job, *, result: bytes, meta: dict[str, Any], progress: JobProgress | None = None
    ) -> Job:
        now, data = self._now(), bytes(result)
        sha = hashlib.sha256(data).hexdigest()
        blob = {"sha": sha, "data": data, "size": len(data), "content_type": _content_type(meta), "now": now}
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

    def _fail(self, tx: Tx, job: Job, error: str, retryable: bool, now: float, isolate: bool) -> Job:
        row = tx.conn.execute(
            select(c.attempts, c.max_attempts).where(c.id == job.id, c.lease_token == job.lease_token)
        ).first()
        if row is None:
            raise LeaseLost(job.id, job.lease_owner)
        attempts, max_attempts = row
        crashed: dict[str, Any] = {"crashes": c.crashes + 1} if isolate else {}
        if retryable and attempts < max_attempts:
            not_before = now + self.options.backoff(attempts).total_seconds()
            return self._requeue(tx, job, error=error, not_before=not_before, **crashed)
        state = JobState.DEAD if retryable else JobState.FAILED
        return _guarded(tx, job, state=state.value, error=error, finished_at=now, **crashed, **_NO_LEASE)

    async def fail(self, job: Job, *, error: str, retryable: bool, isolate: bool = False) -> Job:
        now = self._now()
        return await self.db.write(lambda tx: self._fail(tx, job, error, retryable, now, isolate))

    def _requeue(self, tx: Tx, job: Job, **values: Any) -> Job:
        """Back to the queue; the attempt's progress preview is deleted (the next claim starts without one)."""
        old = tx.conn.execute(select(c.progress_preview_sha).where(c.id == job.id)).scalar()
        queued = _guarded(tx, job, state="queued", progress_preview_sha=None, **values, **_NO_LEASE)
        drop_unused_blobs(tx, [old], self.kept.blobs)
        return queued

    async def release(self, job: Job) -> Job:
        return await self.db.write(lambda tx: self._requeue(tx, job, attempts=c.attempts - 1, not_before=None))

    async def mark_cancelled(self, job: Job) -> Job:
        now = self._now()
        return await self.db.write(lambda tx: _guarded(tx, job, state="cancelled", finished_at=now, **_NO_LEASE))

    def _reap(self, tx: Tx, now: float) -> int:
        running = state_is("running")
        n = 0
        limit_col = c.deadline_at - c.started_at
        late = select(c.id, c.lease_token, c.lease_owner, limit_col).where(running, c.deadline_at < now)
        for jid, token, owner, limit in tx.conn.execute(late).all():
            msg = f"time limit of {limit:g} s exceeded (worker {owner})"
            n += _reap_update(tx, jid, token, state="failed", error=msg, finished_at=now)
        cols = (c.id, c.lease_token, c.lease_owner, c.attempts, c.max_attempts, c.cancel_requested)
        superseded: list[str | None] = []  # previews of attempts put back in the queue
        for jid, token, owner, attempts, max_attempts, cancel, preview in tx.conn.execute(
            select(*cols, c.progress_preview_sha).where(running, c.lease_expires_at < now)
        ).all():
            msg = f"lease expired on attempt {attempts} (worker {owner} stopped heartbeating)"
            crashed = c.crashes + 1  # the worker died mid-claim (maybe of this job): it runs alone from now on
            if cancel:
                n += _reap_update(tx, jid, token, state="cancelled", finished_at=now)
            elif attempts < max_attempts:
                nb = now + self.options.backoff(attempts).total_seconds()
                requeue = {
                    "state": "queued",
                    "error": msg,
                    "not_before": nb,
                    "progress_preview_sha": None,
                    "crashes": crashed,
                }
                queued = _reap_update(tx, jid, token, **requeue)
                superseded += [preview] if queued else []
                n += queued
            else:
                n += _reap_update(tx, jid, token, state="dead", error=msg, finished_at=now, crashes=crashed)
        drop_unused_blobs(tx, superseded, self.kept.blobs)
        return n

    async def reap_expired(self) -> int:
        now = self._now()
        return await self.db.write(lambda tx: self._reap(tx, now))

    # the registry of workers
    async def register_worker(self, worker_id: str, *, hostname: str, pid: int, device: str | None) -> None:
        now = self._now()
        values = {"worker_id": worker_id, "hostname": hostname, "pid": pid, "device": device}
        values |= {"started_at": now, "last_heartbeat": now, "current_job_id": None}
        stmt = upsert(self.dialect, WORKERS, values, ["worker_id"])
        await self.db.write(lambda tx: tx.conn.execute(stmt))

    async def worker_heartbeat(self, worker_id: str, current_job_id: int | None = None) -> None:
        now = self._now()
        values = {"worker_id": worker_id, "hostname": "", "pid": 0, "device": None, "started_at": now}
        ins = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(WORKERS).values(
            **values, last_heartbeat=now, current_job_id=current_job_id
        )
        stmt = ins.on_conflict_do_update(
            index_elements=["worker_id"], set_={"last_heartbeat": now, "current_job_id": current_job_id}
        )
        await self.db.write(lambda tx: tx.conn.execute(stmt))

    async def unregister_worker(self, worker_id: str) -> None:
        stmt = delete(WORKERS).where(WORKERS.c.worker_id == worker_id)
        await self.db.write(lambda tx: tx.conn.execute(stmt))

    async def live_workers(self, within_seconds: float = 60.0) -> list[WorkerInfo]:
        cutoff = self._now() - within_seconds
        return await self.db.read(lambda tx: read_live_workers(tx, cutoff))
