"""Statistics in `SqlJobStore`: a queued job's position and ETA, the queue's counts and means, last enqueue time.

`stats(guild_id=…)` is one server's view: its jobs only, no other server's pause, no other server's job ids on the
engines (`scoped_workers`); `stats()` is the whole queue, for the bot's owner and the operator's CLI.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from jobqueue._db import Tx
from jobqueue._policy import STATS_WINDOW, eta_seconds, scoped_workers
from jobqueue._rows import from_epoch, job_from_row
from jobqueue._sql import CONTROL, GUILDS, JOBS, state_is
from jobqueue._sql_core import SqlCore
from jobqueue._sql_jobs import get_job
from jobqueue._sql_leases import read_live_workers
from jobqueue._types import JobState, Position, QueueStats

__all__ = ["SqlStats"]

c = JOBS.c


def _run_times(tx: Tx, guild_id: int | None = None) -> list[float]:
    q = select(c.started_at, c.finished_at).where(state_is("succeeded"), c.started_at.is_not(None))
    if guild_id is not None:
        q = q.where(c.guild_id == guild_id)
    rows = tx.conn.execute(q.order_by(c.finished_at.desc()).limit(STATS_WINDOW)).all()
    return [f - s for s, f in rows if f is not None]


class SqlStats(SqlCore):
    """Where a job stands and how the queue is doing."""

    def _alive_cutoff(self) -> float:
        return self._now() - self.options.worker_alive_seconds

    def _position(self, tx: Tx, job_id: int) -> Position | None:
        job = get_job(tx, job_id)
        if job.state != JobState.QUEUED:
            return None
        rank = tx.conn.execute(select(c.fair_rank).where(c.id == job_id)).scalar_one()
        before = or_(
            c.fair_rank < rank,
            (c.fair_rank == rank) & (c.priority > job.priority),
            (c.fair_rank == rank) & (c.priority == job.priority) & (c.id < job_id),
        )
        ahead = tx.conn.execute(select(func.count()).where(state_is("queued"), before)).scalar_one()
        alive = len(read_live_workers(tx, self._alive_cutoff()))
        eta = eta_seconds(ahead, _run_times(tx), alive)
        return Position(position=ahead + 1, ahead=ahead, eta_seconds=eta, workers_alive=alive)

    async def position(self, job_id: int) -> Position | None:
        return await self.db.read(lambda tx: self._position(tx, job_id))

    def _stats(self, tx: Tx, guild_id: int | None) -> QueueStats:
        own = [guild_id] if guild_id is not None else []
        scope = [c.guild_id == g for g in own]
        counts = {s: 0 for s in JobState}
        for state, n in tx.conn.execute(select(c.state, func.count()).where(*scope).group_by(c.state)):
            counts[JobState(state)] = n
        running = tx.conn.execute(select(JOBS).where(state_is("running"), *scope).order_by(c.id)).all()
        waits_q = select(c.created_at, c.started_at).where(c.started_at.is_not(None), *scope)
        waits = [s - cr for cr, s in tx.conn.execute(waits_q.order_by(c.started_at.desc()).limit(STATS_WINDOW))]
        runs = _run_times(tx, guild_id)
        paused_q = select(GUILDS.c.guild_id).where(GUILDS.c.paused.is_(True), *[GUILDS.c.guild_id == g for g in own])
        paused_guilds = tuple(tx.conn.execute(paused_q).scalars())  # a server's statistics name no other server
        glob = bool(tx.conn.execute(select(CONTROL.c.paused).where(CONTROL.c.name == "global")).scalar())
        jobs = tuple(job_from_row(r) for r in running)
        workers = read_live_workers(tx, self._alive_cutoff())
        return QueueStats(
            counts=counts,
            running=jobs,
            workers=tuple(workers) if guild_id is None else scoped_workers(workers, {j.id for j in jobs}),
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
