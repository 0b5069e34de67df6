"""The producer/reader/admin half of `InMemoryJobStore` (the worker half is in `_memory_ops.py`)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from jobqueue._policy import (
    ACTIVE_STATES,
    RETRYABLE_FROM,
    STATS_WINDOW,
    KeptRefs,
    StoreOptions,
    check_enqueue_limits,
    eta_seconds,
    next_fair_rank,
)
from jobqueue._types import (
    EnqueueLimits,
    GuildSettings,
    Job,
    JobState,
    NewJob,
    Position,
    QueueStats,
    WorkerInfo,
    queued_job,
)
from jobqueue.errors import BlobNotFound, InvalidTransition, JobNotFound

__all__ = ["MemoryStoreBase"]

_Q, _R = JobState.QUEUED, JobState.RUNNING
KeptFn = Callable[[], Awaitable[Iterable[Any]]]  # an in-memory kept reference (see `KeptRefs`)


class MemoryStoreBase:
    """State and the non-worker methods of `jobqueue.testing.InMemoryJobStore`."""

    def __init__(self, options: StoreOptions | None = None, *, kept: KeptRefs[KeptFn] | None = None) -> None:
        self.options = options or StoreOptions()
        self._lock = asyncio.Lock()
        self._jobs: dict[int, Job] = {}
        self._rank: dict[int, int] = {}
        self._deadline: dict[int, datetime] = {}  # running jobs' time limits (job's own, else the claimer's)
        self._blobs: dict[str, tuple[bytes, datetime]] = {}
        self._workers: dict[str, WorkerInfo] = {}
        self._guilds: dict[int, GuildSettings] = {}
        self._meta: dict[str, str] = {}
        self._paused = False
        self._next_id = 1
        self.kept: KeptRefs[KeptFn] = kept or KeptRefs()

    async def close(self) -> None:
        return None

    def _now(self) -> datetime:
        return self.options.now()

    def _job(self, job_id: int) -> Job:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise JobNotFound(job_id) from None

    def _set(self, job: Job, **changes: Any) -> Job:
        new = dataclasses.replace(job, **changes)
        self._jobs[job.id] = new
        return new

    # blobs
    async def put_blob(self, data: bytes, content_type: str = "image/png") -> str:
        sha = hashlib.sha256(data).hexdigest()
        self._blobs.setdefault(sha, (bytes(data), self._now()))
        return sha

    async def get_blob(self, sha: str) -> bytes:
        try:
            return self._blobs[sha][0]
        except KeyError:
            raise BlobNotFound(sha) from None

    # producers and readers
    def _fair_rank(self, user_id: int) -> int:
        queued = [self._rank[j.id] for j in self._jobs.values() if j.state == _Q]
        mine = [self._rank[j.id] for j in self._jobs.values() if j.user_id == user_id and j.state in ACTIVE_STATES]
        return next_fair_rank(min(queued, default=None), max(mine, default=None))

    def _check_limits(self, new: NewJob, limits: EnqueueLimits) -> None:
        active = [j for j in self._jobs.values() if j.state in ACTIVE_STATES]
        owner = {"user": lambda j: j.user_id, "guild": lambda j: j.guild_id}
        check_enqueue_limits(new, limits, lambda scope, ident: sum(1 for j in active if owner[scope](j) == ident))

    async def enqueue(self, new: NewJob, *, limits: EnqueueLimits | None = None) -> Job:
        async with self._lock:
            if new.idempotency_key is not None:
                for job in self._jobs.values():
                    if job.idempotency_key == new.idempotency_key:
                        return job
            if limits is not None:
                self._check_limits(new, limits)
            job = queued_job(self._next_id, new, params=dict(new.params), created_at=self._now())
            self._rank[job.id] = self._fair_rank(new.user_id)
            self._next_id += 1
            self._jobs[job.id] = job
            return job

    async def get(self, job_id: int) -> Job:
        return self._job(job_id)

    async def list_jobs(
        self,
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        states: Iterable[JobState] | None = None,
        kind: str | None = None,
        limit: int = 20,
    ) -> list[Job]:
        wanted = set(states) if states is not None else None
        jobs = [
            j
            for j in self._jobs.values()
            if (user_id is None or j.user_id == user_id)
            and (guild_id is None or j.guild_id == guild_id)
            and (wanted is None or j.state in wanted)
            and (kind is None or j.kind == kind)
        ]
        return sorted(jobs, key=lambda j: j.id, reverse=True)[:limit]

    def _order(self, job: Job) -> tuple[int, int, int]:
        return (self._rank[job.id], -job.priority, job.id)

    async def position(self, job_id: int) -> Position | None:
        job = self._job(job_id)
        if job.state != _Q:
            return None
        key = self._order(job)
        ahead = sum(1 for j in self._jobs.values() if j.state == _Q and self._order(j) < key)
        alive = len(await self.live_workers(self.options.worker_alive_seconds))
        eta = eta_seconds(ahead, self._recent_run_times(), alive)
        return Position(position=ahead + 1, ahead=ahead, eta_seconds=eta, workers_alive=alive)

    def _recent_run_times(self) -> list[float]:
        done = [j for j in self._jobs.values() if j.state == JobState.SUCCEEDED and j.started_at and j.finished_at]
        done.sort(key=lambda j: j.finished_at or j.started_at, reverse=True)  # type: ignore[arg-type,return-value]
        return [(j.finished_at - j.started_at).total_seconds() for j in done[:STATS_WINDOW]]  # type: ignore[operator]

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
            runs = [(j.finished_at - j.started_at).total_seconds() for j in done[-STATS_WINDOW:]]  # type: ignore[operator]
        paused_guilds = tuple(sorted(g for g, s in self._guilds.items() if s.paused))
        return QueueStats(
            counts=counts,
            running=tuple(sorted((j for j in jobs if j.state == _R), key=lambda j: j.id)),
            workers=tuple(await self.live_workers(self.options.worker_alive_seconds)),
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

    # admin
    async def cancel(self, job_id: int, *, by: int | None = None) -> Job:
        async with self._lock:
            job = self._job(job_id)
            if job.state == _Q:
                return self._set(job, state=JobState.CANCELLED, finished_at=self._now(), cancelled_by=by)
            if job.state == _R:
                return self._set(job, cancel_requested=True, cancelled_by=by)
            raise InvalidTransition(job_id, job.state, "cancel")

    async def retry(self, job_id: int) -> Job:
        async with self._lock:
            job = self._job(job_id)
            if job.state not in RETRYABLE_FROM:
                raise InvalidTransition(job_id, job.state, "retry")
            self._rank[job_id] = self._fair_rank(job.user_id)
            return self._set(
                job,
                state=_Q,
                attempts=0,
                delivered_at=None,
                finished_at=None,
                started_at=None,
                not_before=None,
                cancel_requested=False,
                cancelled_by=None,
                error=None,
                result_sha=None,
                result_meta={},
                progress=None,
                lease_owner=None,
                lease_token=None,
                lease_expires_at=None,
            )

    async def purge(self, *, guild_id: int | None = None, user_id: int | None = None) -> int:
        async with self._lock:
            now, n = self._now(), 0
            for job in list(self._jobs.values()):
                if job.state == _Q and guild_id in (None, job.guild_id) and user_id in (None, job.user_id):
                    self._set(job, state=JobState.CANCELLED, finished_at=now)
                    n += 1
            return n

    async def pause(self, guild_id: int | None = None) -> None:
        if guild_id is None:
            self._paused = True
        else:
            await self.update_guild_settings(guild_id, paused=True)

    async def resume(self, guild_id: int | None = None) -> None:
        if guild_id is None:
            self._paused = False
        else:
            await self.update_guild_settings(guild_id, paused=False)

    async def is_paused(self, guild_id: int | None = None) -> bool:
        if guild_id is None:
            return self._paused
        return self._paused or self._guilds.get(guild_id, GuildSettings(guild_id)).paused

    # workers
    async def register_worker(self, worker_id: str, *, hostname: str, pid: int, device: str | None) -> None:
        now = self._now()
        self._workers[worker_id] = WorkerInfo(worker_id, hostname, pid, device, now, now)

    async def worker_heartbeat(self, worker_id: str, current_job_id: int | None = None) -> None:
        info = self._workers.get(worker_id)
        if info is None:
            info = WorkerInfo(worker_id, "", 0, None, self._now(), None)
        self._workers[worker_id] = dataclasses.replace(info, last_heartbeat=self._now(), current_job_id=current_job_id)

    async def unregister_worker(self, worker_id: str) -> None:
        self._workers.pop(worker_id, None)

    async def live_workers(self, within_seconds: float = 60.0) -> list[WorkerInfo]:
        cutoff = self._now() - timedelta(seconds=within_seconds)
        return sorted(
            (w for w in self._workers.values() if w.last_heartbeat and w.last_heartbeat >= cutoff),
            key=lambda w: w.worker_id,
        )
