"""Statistics in `InMemoryJobStore`: position and ETA, queue counts and means, last enqueue time (the twin of
`jobqueue._sql_stats`)."""

from __future__ import annotations

from datetime import datetime

from jobqueue._memory_core import MemoryCore
from jobqueue._policy import STATS_WINDOW, eta_seconds, scoped_workers
from jobqueue._types import Job, JobState, Position, QueueStats

__all__ = ["MemoryStats"]

_Q, _R = JobState.QUEUED, JobState.RUNNING


def _run_seconds(jobs: list[Job]) -> list[float]:
    return [(j.finished_at - j.started_at).total_seconds() for j in jobs]  # type: ignore[operator]


class MemoryStats(MemoryCore):
    """Where a job stands and how the queue is doing."""

    async def position(self, job_id: int) -> Position | None:
        job = self._job(job_id)
        if job.state != _Q:
            return None
        key = self._order(job)
        ahead = sum(1 for j in self._jobs.values() if j.state == _Q and self._order(j) < key)
        alive = len(self._live_workers(self.options.worker_alive_seconds))
        eta = eta_seconds(ahead, self._recent_run_times(), alive)
        return Position(position=ahead + 1, ahead=ahead, eta_seconds=eta, workers_alive=alive)

    def _recent_run_times(self) -> list[float]:
        done = [j for j in self._jobs.values() if j.state == JobState.SUCCEEDED and j.started_at and j.finished_at]
        done.sort(key=lambda j: j.finished_at or j.started_at, reverse=True)  # type: ignore[arg-type,return-value]
        return _run_seconds(done[:STATS_WINDOW])

    async def stats(self, *, guild_id: int | None = None) -> QueueStats:
        jobs = [j for j in self._jobs.values() if guild_id is None or j.guild_id == guild_id]
        counts = {s: 0 for s in JobState}
        for j in jobs:
            counts[j.state] += 1
        started = sorted((j for j in jobs if j.started_at and j.created_at), key=lambda j: j.started_at, reverse=True)  # type: ignore[arg-type,return-value]
        waits = [(j.started_at - j.created_at).total_seconds() for j in started[:STATS_WINDOW]]  # type: ignore[operator]
        runs = self._recent_run_times() if guild_id is None else []
        if guild_id is not None:
            done = [j for j in jobs if j.state == JobState.SUCCEEDED and j.started_at and j.finished_at]
            runs = _run_seconds(done[-STATS_WINDOW:])
        paused_guilds = tuple(sorted(g for g, s in self._guilds.items() if s.paused and guild_id in (None, g)))
        running = tuple(sorted((j for j in jobs if j.state == _R), key=lambda j: j.id))
        workers = self._live_workers(self.options.worker_alive_seconds)
        return QueueStats(
            counts=counts,
            running=running,
            workers=tuple(workers) if guild_id is None else scoped_workers(workers, {j.id for j in running}),
            mean_wait_seconds=sum(waits) / len(waits) if waits else None,
            mean_run_seconds=sum(runs) / len(runs) if runs else None,
            paused=self._paused or (guild_id is not None and guild_id in paused_guilds),
            paused_guilds=paused_guilds,
        )

    async def last_enqueued_at(self, user_id: int, guild_id: int | None = None) -> datetime | None:
        times = [
            j.created_at
            for j in self._jobs.values()
            if j.user_id == user_id and (guild_id is None or j.guild_id == guild_id) and j.created_at
        ]
        return max(times, default=None)
