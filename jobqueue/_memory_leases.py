"""The worker's side of `InMemoryJobStore`: claims, the lease-guarded writes, reaping, and the registry of workers
(the twin of `jobqueue._sql_leases`)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from jobqueue._memory_core import MemoryCore
from jobqueue._policy import new_lease_token
from jobqueue._types import GuildSettings, Job, JobProgress, JobState, WorkerInfo
from jobqueue.errors import LeaseLost

__all__ = ["MemoryLeases"]

_Q, _R = JobState.QUEUED, JobState.RUNNING
_NO_LEASE: dict[str, Any] = {"lease_token": None, "lease_expires_at": None}


class MemoryLeases(MemoryCore):
    """Claims and lease-guarded writes of workers, reaping, and the worker registry."""

    def _claimable(self, job: Job, now: datetime, batch_key: str | None) -> bool:
        if job.state != _Q or (job.not_before is not None and job.not_before > now):
            return False
        if batch_key is not None and (job.batch_key != batch_key or job.crashes > 0):
            return False  # batch-mates share the key and never lost an attempt to a crash (those run alone)
        return job.guild_id is None or not self._guilds.get(job.guild_id, GuildSettings(job.guild_id)).paused

    async def claim(
        self, worker_id: str, *, lease_seconds: float, limit: int = 1, batch_key: str | None = None
    ) -> list[Job]:
        async with self._lock:
            if self._paused or limit < 1:
                return []
            now = self._now()
            ready = sorted((j for j in self._jobs.values() if self._claimable(j, now, batch_key)), key=self._order)
            token = new_lease_token()
            expires = now + timedelta(seconds=lease_seconds)
            for job in ready[:limit]:
                seconds = job.time_limit_seconds if job.time_limit_seconds is not None else self.options.job_time_limit
                if seconds is not None:
                    self._deadline[job.id] = now + timedelta(seconds=seconds)
                else:
                    self._deadline.pop(job.id, None)
            return [
                self._set(
                    job,
                    state=_R,
                    attempts=job.attempts + 1,
                    lease_owner=worker_id,
                    lease_token=token,
                    lease_expires_at=expires,
                    heartbeat_at=now,
                    started_at=now,
                    finished_at=None,
                    progress=None,
                )
                for job in ready[:limit]
            ]

    def _leased(self, job: Job) -> Job:
        current = self._job(job.id)
        if current.state != _R or current.lease_token is None or current.lease_token != job.lease_token:
            raise LeaseLost(job.id, job.lease_owner)
        return current

    async def heartbeat(self, job: Job, *, lease_seconds: float, progress: JobProgress | None = None) -> bool:
        async with self._lock:
            current = self._leased(job)
            now = self._now()
            changes: dict[str, Any] = {"lease_expires_at": now + timedelta(seconds=lease_seconds), "heartbeat_at": now}
            old = current.progress.preview_sha if current.progress else None
            if progress is not None:  # replaces the last preview (with a new one, or none)
                changes["progress"] = dataclasses.replace(progress, updated_at=now)
            cancel = self._set(current, **changes).cancel_requested
            if progress is not None and progress.preview_sha != old:
                await self._drop_unused_blobs([old])  # the superseded preview, unless another job uses it
            return cancel

    async def complete(
        self, job: Job, *, result: bytes, meta: dict[str, Any], progress: JobProgress | None = None
    ) -> Job:
        sha = self._store_blob(result)
        async with self._lock:
            current = self._leased(job)
            now = self._now()
            if progress is not None:  # the final report; the preview stays the last one stored
                preview = current.progress.preview_sha if current.progress else None
                progress = dataclasses.replace(progress, preview_sha=preview, updated_at=now)
            return self._set(
                current,
                progress=progress or current.progress,
                state=JobState.SUCCEEDED,
                result_sha=sha,
                result_meta=dict(meta),
                finished_at=now,
                error=None,
                **_NO_LEASE,
            )

    async def fail(self, job: Job, *, error: str, retryable: bool, isolate: bool = False) -> Job:
        async with self._lock:
            current = self._leased(job)
            now = self._now()
            crashes = current.crashes + 1 if isolate else current.crashes
            if retryable and current.attempts < current.max_attempts:
                nb = now + self.options.backoff(current.attempts)
                return await self._requeue(current, error=error, not_before=nb, crashes=crashes)
            state = JobState.DEAD if retryable else JobState.FAILED
            return self._set(current, state=state, error=error, finished_at=now, crashes=crashes, **_NO_LEASE)

    async def release(self, job: Job) -> Job:
        async with self._lock:
            current = self._leased(job)
            return await self._requeue(current, attempts=max(0, current.attempts - 1), not_before=None)

    def _without_preview(self, job: Job, **changes: Any) -> tuple[Job, str | None]:
        """Back to the queue without the attempt's progress preview; returns the job and that preview's sha."""
        old = job.progress.preview_sha if job.progress else None
        progress = dataclasses.replace(job.progress, preview_sha=None) if job.progress else None
        return self._set(job, state=_Q, progress=progress, **changes, **_NO_LEASE), old

    async def _requeue(self, job: Job, **changes: Any) -> Job:
        queued, old = self._without_preview(job, **changes)
        await self._drop_unused_blobs([old])  # the next claim starts without a preview
        return queued

    async def mark_cancelled(self, job: Job) -> Job:
        async with self._lock:
            current = self._leased(job)
            return self._set(current, state=JobState.CANCELLED, finished_at=self._now(), **_NO_LEASE)

    async def reap_expired(self) -> int:
        async with self._lock:
            now, n, superseded = self._now(), 0, []
            for job in list(self._jobs.values()):
                if job.state != _R:
                    continue
                deadline = self._deadline.get(job.id)
                if deadline is not None and job.started_at is not None and deadline < now:
                    limit = (deadline - job.started_at).total_seconds()
                    msg = f"time limit of {limit:g} s exceeded (worker {job.lease_owner})"
                    self._set(job, state=JobState.FAILED, error=msg, finished_at=now, **_NO_LEASE)
                elif job.lease_expires_at is not None and job.lease_expires_at < now:
                    superseded.append(self._reap_one(job, now))
                else:
                    continue
                n += 1
            await self._drop_unused_blobs(superseded)
            return n

    def _reap_one(self, job: Job, now: datetime) -> str | None:
        """Settle one expired lease; returns the preview it superseded when the job goes back to the queue."""
        msg = f"lease expired on attempt {job.attempts} (worker {job.lease_owner} stopped heartbeating)"
        crashes = job.crashes + 1  # the worker died mid-claim (maybe of this job): it runs alone from now on
        if job.cancel_requested:
            self._set(job, state=JobState.CANCELLED, finished_at=now, **_NO_LEASE)
        elif job.attempts < job.max_attempts:
            nb = now + self.options.backoff(job.attempts)
            return self._without_preview(job, error=msg, not_before=nb, crashes=crashes)[1]
        else:
            self._set(job, state=JobState.DEAD, error=msg, finished_at=now, crashes=crashes, **_NO_LEASE)
        return None

    # the registry of workers
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
        return self._live_workers(within_seconds)
