"""The producer, reader and admin half of `SqlJobStore` (the worker, delivery and housekeeping half and the class
itself are in `jobqueue._store`). Every method is one unit of work: one transaction (see `jobqueue._db`).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from jobqueue._db import Database, Tx
from jobqueue._policy import RETRYABLE_FROM, STATS_WINDOW, KeptRefs, StoreOptions, check_enqueue_limits, eta_seconds
from jobqueue._rows import from_epoch, job_from_row, new_job, new_job_values, worker_from_row
from jobqueue._sql import (
    BLOBS,
    CONTROL,
    FAIR_RANK,
    GUILDS,
    INSERT_BLOB,
    INSERT_JOB,
    JOB_BY_ID,
    JOB_BY_KEY,
    JOBS,
    WORKERS,
    state_is,
)
from jobqueue._types import EnqueueLimits, Job, JobState, NewJob, Position, QueueStats, WorkerInfo
from jobqueue.errors import BlobNotFound, InvalidTransition, JobNotFound

__all__ = ["SqlStoreBase"]

c = JOBS.c
_CLEARED_ON_RETRY = (
    *("delivered_at", "finished_at", "started_at", "not_before", "cancelled_by", "error", "result_sha"),
    *("lease_owner", "lease_token", "lease_expires_at", "deadline_at", "progress_step", "progress_total"),
    *("progress_loss", "progress_preview_sha", "progress_updated_at"),
)


def upsert(dialect: str, table: Any, values: dict[str, Any], keys: Iterable[str]) -> Any:
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(values)
    keys = list(keys)
    return ins.on_conflict_do_update(index_elements=keys, set_={k: v for k, v in values.items() if k not in keys})


def _insert_values(new: NewJob, now: float) -> dict[str, Any]:
    values = new_job_values(new, now=now)
    values["rank_user"] = new.user_id  # the fair-share rank's subquery
    return values


def _lock_key(scope: str, ident: int) -> tuple[int, int]:
    return zlib.crc32(scope.encode()) - 2**31, zlib.crc32(str(ident).encode()) - 2**31


class SqlStoreBase:
    """State and the non-worker methods of `SqlJobStore`."""

    def __init__(
        self, db: Database, options: StoreOptions | None = None, *, kept: KeptRefs[Select[Any]] | None = None
    ) -> None:
        self.db = db
        self.options = options or StoreOptions()
        self.kept: KeptRefs[Select[Any]] = kept or KeptRefs()

    @property
    def dialect(self) -> str:
        return self.db.dialect

    async def close(self) -> None:
        await self.db.close()

    def _now(self) -> float:
        return self.options.now().timestamp()

    @staticmethod
    def _get(tx: Tx, job_id: int) -> Job:
        rows = tx.fast(JOB_BY_ID, {"job_id": job_id})
        if not rows:
            raise JobNotFound(job_id)
        return job_from_row(rows[0])

    # blobs
    async def put_blob(self, data: bytes, content_type: str = "image/png") -> str:
        data, now = bytes(data), self._now()
        sha = hashlib.sha256(data).hexdigest()
        params = {"sha": sha, "data": data, "size": len(data), "content_type": content_type, "now": now}
        await self.db.run_fast([(INSERT_BLOB[self.dialect], params)])
        return sha

    async def get_blob(self, sha: str) -> bytes:
        row = await self.db.read(lambda tx: tx.conn.execute(select(BLOBS.c.data).where(BLOBS.c.sha == sha)).first())
        if row is None:
            raise BlobNotFound(sha)
        return bytes(row[0])

    # producers and readers
    def _check_limits(self, tx: Tx, new: NewJob, limits: EnqueueLimits) -> None:
        if self.dialect == "postgresql":  # serialise concurrent enqueues of one guild/user while counting
            for scope, ident in (("guild", new.guild_id), ("user", new.user_id)):
                if ident is not None:
                    a, b = _lock_key(scope, ident)
                    tx.conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": a, "b": b})
        columns = {"user": c.user_id, "guild": c.guild_id}

        def count_active(scope: str, ident: int) -> int:
            active = select(func.count()).where(columns[scope] == ident, state_is("queued", "running"))
            return int(tx.conn.execute(active).scalar_one())

        check_enqueue_limits(new, limits, count_active)

    def _enqueue(self, tx: Tx, new: NewJob, limits: EnqueueLimits | None, now: float) -> Job:
        """Enqueue inside an open transaction (also used by challenge units): limits counted with the insert."""
        if new.idempotency_key is not None and (rows := tx.fast(JOB_BY_KEY, {"key": new.idempotency_key})):
            return job_from_row(rows[0])  # the existing job is returned without counting it against the limits
        if limits is not None:
            self._check_limits(tx, new, limits)
        values = _insert_values(new, now)
        rows = tx.fast(INSERT_JOB[self.dialect], values)
        if not rows:  # a concurrent enqueue with the same key committed first
            return job_from_row(tx.fast(JOB_BY_KEY, {"key": new.idempotency_key})[0])
        return new_job(rows[0][0], new, values)

    async def enqueue(self, new: NewJob, *, limits: EnqueueLimits | None = None) -> Job:
        now = self._now()
        if limits is not None:  # count queued+running and insert in one transaction
            return await self.db.write(lambda tx: self._enqueue(tx, new, limits, now))
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
        return await self.db.read(lambda tx: self._get(tx, job_id))

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

    def _run_times(self, tx: Tx, guild_id: int | None = None) -> list[float]:
        q = select(c.started_at, c.finished_at).where(state_is("succeeded"), c.started_at.is_not(None))
        if guild_id is not None:
            q = q.where(c.guild_id == guild_id)
        rows = tx.conn.execute(q.order_by(c.finished_at.desc()).limit(STATS_WINDOW)).all()
        return [f - s for s, f in rows if f is not None]

    def _live_workers(self, tx: Tx, within: float) -> list[WorkerInfo]:
        cutoff = self._now() - within
        q = select(WORKERS).where(WORKERS.c.last_heartbeat >= cutoff).order_by(WORKERS.c.worker_id)
        return [worker_from_row(r._mapping) for r in tx.conn.execute(q)]

    def _position(self, tx: Tx, job_id: int) -> Position | None:
        job = self._get(tx, job_id)
        if job.state != JobState.QUEUED:
            return None
        rank = tx.conn.execute(select(c.fair_rank).where(c.id == job_id)).scalar_one()
        before = or_(
            c.fair_rank < rank,
            (c.fair_rank == rank) & (c.priority > job.priority),
            (c.fair_rank == rank) & (c.priority == job.priority) & (c.id < job_id),
        )
        ahead = tx.conn.execute(select(func.count()).where(state_is("queued"), before)).scalar_one()
        alive = len(self._live_workers(tx, self.options.worker_alive_seconds))
        eta = eta_seconds(ahead, self._run_times(tx), alive)
        return Position(position=ahead + 1, ahead=ahead, eta_seconds=eta, workers_alive=alive)

    async def position(self, job_id: int) -> Position | None:
        return await self.db.read(lambda tx: self._position(tx, job_id))

    def _stats(self, tx: Tx, guild_id: int | None) -> QueueStats:
        scope = [c.guild_id == guild_id] if guild_id is not None else []
        counts = {s: 0 for s in JobState}
        for state, n in tx.conn.execute(select(c.state, func.count()).where(*scope).group_by(c.state)):
            counts[JobState(state)] = n
        running = tx.conn.execute(select(JOBS).where(state_is("running"), *scope).order_by(c.id)).all()
        waits_q = select(c.created_at, c.started_at).where(c.started_at.is_not(None), *scope)
        waits = [s - cr for cr, s in tx.conn.execute(waits_q.order_by(c.started_at.desc()).limit(STATS_WINDOW))]
        runs = self._run_times(tx, guild_id)
        paused_guilds = tuple(tx.conn.execute(select(GUILDS.c.guild_id).where(GUILDS.c.paused.is_(True))).scalars())
        glob = bool(tx.conn.execute(select(CONTROL.c.paused).where(CONTROL.c.name == "global")).scalar())
        return QueueStats(
            counts=counts,
            running=tuple(job_from_row(r) for r in running),
            workers=tuple(self._live_workers(tx, self.options.worker_alive_seconds)),
            mean_wait_seconds=sum(waits) / len(waits) if waits else None,
            mean_run_seconds=sum(runs) / len(runs) if runs else None,
            paused=glob or (guild_id is not None and guild_id in paused_guilds),
            paused_guilds=tuple(sorted(paused_guilds)),
        )

    async def stats(self, *, guild_id: int | None = None) -> QueueStats:
        return await self.db.read(lambda tx: self._stats(tx, guild_id))

    async def last_enqueued_at(self, user_id: int, guild_id: int | None = None) -> datetime | None:
        q = select(func.max(c.created_at)).where(c.user_id == user_id)
        if guild_id is not None:
            q = q.where(c.guild_id == guild_id)
        return from_epoch(await self.db.read(lambda tx: tx.conn.execute(q).scalar()))

    # admin
    def _cancel(self, tx: Tx, job_id: int, by: int | None, now: float) -> Job:
        base = update(JOBS).where(c.id == job_id).returning(*JOBS.c)
        row = tx.conn.execute(
            base.where(state_is("queued")).values(state="cancelled", finished_at=now, cancelled_by=by)
        ).first()
        if row is None:
            row = tx.conn.execute(
                base.where(state_is("running")).values(cancel_requested=True, cancelled_by=by)
            ).first()
        if row is None:
            job = self._get(tx, job_id)
            raise InvalidTransition(job_id, job.state, "cancel")
        return job_from_row(row)

    async def cancel(self, job_id: int, *, by: int | None = None) -> Job:
        now = self._now()
        return await self.db.write(lambda tx: self._cancel(tx, job_id, by, now))

    def _retry(self, tx: Tx, job_id: int) -> Job:
        job = self._get(tx, job_id)
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
                fair_rank=FAIR_RANK[self.dialect],
                **cleared,
            )
            .returning(*JOBS.c)
        )
        row = tx.conn.execute(stmt, {"rank_user": job.user_id}).first()
        if row is None:
            raise InvalidTransition(job_id, self._get(tx, job_id).state, "retry")
        return job_from_row(row)

    async def retry(self, job_id: int) -> Job:
        return await self.db.write(lambda tx: self._retry(tx, job_id))

    async def purge(self, *, guild_id: int | None = None, user_id: int | None = None) -> int:
        stmt = update(JOBS).where(state_is("queued")).values(state="cancelled", finished_at=self._now())
        if guild_id is not None:
            stmt = stmt.where(c.guild_id == guild_id)
        if user_id is not None:
            stmt = stmt.where(c.user_id == user_id)
        return await self.db.write(lambda tx: len(tx.conn.execute(stmt.returning(c.id)).all()))

    async def _set_global_pause(self, paused: bool) -> None:
        values = {"name": "global", "paused": paused, "updated_at": self._now()}
        stmt = upsert(self.dialect, CONTROL, values, ["name"])
        await self.db.write(lambda tx: tx.conn.execute(stmt))

    async def pause(self, guild_id: int | None = None) -> None:
        if guild_id is None:
            await self._set_global_pause(True)
        else:
            await self.update_guild_settings(guild_id, paused=True)  # type: ignore[attr-defined]

    async def resume(self, guild_id: int | None = None) -> None:
        if guild_id is None:
            await self._set_global_pause(False)
        else:
            await self.update_guild_settings(guild_id, paused=False)  # type: ignore[attr-defined]

    async def is_paused(self, guild_id: int | None = None) -> bool:
        def read(tx: Tx) -> bool:
            if tx.conn.execute(select(CONTROL.c.paused).where(CONTROL.c.name == "global")).scalar():
                return True
            if guild_id is None:
                return False
            return bool(tx.conn.execute(select(GUILDS.c.paused).where(GUILDS.c.guild_id == guild_id)).scalar())

        return await self.db.read(read)

    # workers
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
        return await self.db.read(lambda tx: self._live_workers(tx, within_seconds))
