"""The worker, delivery and housekeeping half of `InMemoryJobStore` (see `jobqueue.testing`)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from jobqueue._memory import KeptFn, MemoryStoreBase
from jobqueue._policy import check_guild_changes, new_lease_token
from jobqueue._types import TERMINAL_STATES, GuildSettings, Job, JobProgress, JobState, TargetKind
from jobqueue.errors import LeaseLost

__all__ = ["InMemoryJobStore"]

_Q, _R = JobState.QUEUED, JobState.RUNNING
_NO_LEASE: dict[str, Any] = {"lease_token": None, "lease_expires_at": None}


class InMemoryJobStore(MemoryStoreBase):
    """A `JobStore` that keeps everything in memory (see `jobqueue.testing`)."""

    def _claimable(self, job: Job, now: datetime, batch_key: str | None) -> bool:
        if job.state != _Q or (job.not_before is not None and job.not_before > now):
            return False
        if batch_key is not None and job.batch_key != batch_key:
            return False
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
            if progress is not None:
                changes["progress"] = dataclasses.replace(progress, updated_at=now)
            return self._set(current, **changes).cancel_requested

    async def complete(
        self, job: Job, *, result: bytes, meta: dict[str, Any], progress: JobProgress | None = None
    ) -> Job:
        sha = await self.put_blob(result)
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

    async def fail(self, job: Job, *, error: str, retryable: bool) -> Job:
        async with self._lock:
            current = self._leased(job)
            now = self._now()
            if retryable and current.attempts < current.max_attempts:
                nb = now + self.options.backoff(current.attempts)
                return self._set(current, state=_Q, error=error, not_before=nb, **_NO_LEASE)
            state = JobState.DEAD if retryable else JobState.FAILED
            return self._set(current, state=state, error=error, finished_at=now, **_NO_LEASE)

    async def release(self, job: Job) -> Job:
        async with self._lock:
            current = self._leased(job)
            return self._set(current, state=_Q, attempts=max(0, current.attempts - 1), not_before=None, **_NO_LEASE)

    async def mark_cancelled(self, job: Job) -> Job:
        async with self._lock:
            current = self._leased(job)
            return self._set(current, state=JobState.CANCELLED, finished_at=self._now(), **_NO_LEASE)

    async def reap_expired(self) -> int:
        async with self._lock:
            now, n = self._now(), 0
            for job in list(self._jobs.values()):
                if job.state != _R:
                    continue
                deadline = self._deadline.get(job.id)
                if deadline is not None and job.started_at is not None and deadline < now:
                    limit = (deadline - job.started_at).total_seconds()
                    msg = f"time limit of {limit:g} s exceeded (worker {job.lease_owner})"
                    self._set(job, state=JobState.FAILED, error=msg, finished_at=now, **_NO_LEASE)
                elif job.lease_expires_at is not None and job.lease_expires_at < now:
                    self._reap_one(job, now)
                else:
                    continue
                n += 1
            return n

    def _reap_one(self, job: Job, now: datetime) -> None:
        msg = f"lease expired on attempt {job.attempts} (worker {job.lease_owner} stopped heartbeating)"
        if job.cancel_requested:
            self._set(job, state=JobState.CANCELLED, finished_at=now, **_NO_LEASE)
        elif job.attempts < job.max_attempts:
            self._set(job, state=_Q, error=msg, not_before=now + self.options.backoff(job.attempts), **_NO_LEASE)
        else:
            self._set(job, state=JobState.DEAD, error=msg, finished_at=now, **_NO_LEASE)

    # delivery
    async def pending_deliveries(self, *, limit: int = 20) -> list[Job]:
        jobs = [
            j
            for j in self._jobs.values()
            if j.state in TERMINAL_STATES and j.delivered_at is None and j.target.kind != TargetKind.NONE
        ]
        jobs.sort(key=lambda j: (j.finished_at or j.created_at or datetime.min, j.id))  # type: ignore[operator]
        return jobs[:limit]

    async def mark_delivered(self, job_id: int) -> None:
        async with self._lock:
            job = self._job(job_id)
            if job.delivered_at is None:
                self._set(job, delivered_at=self._now())

    async def set_status_message(self, job_id: int, message_id: int) -> None:
        async with self._lock:
            job = self._job(job_id)
            self._set(job, target=dataclasses.replace(job.target, status_message_id=message_id))

    # settings and housekeeping
    async def get_guild_settings(self, guild_id: int) -> GuildSettings:
        return self._guilds.get(guild_id, GuildSettings(guild_id))

    async def update_guild_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        checked = check_guild_changes(changes)
        current = self._guilds.get(guild_id, GuildSettings(guild_id))
        self._guilds[guild_id] = dataclasses.replace(current, **checked)  # type: ignore[arg-type]
        return self._guilds[guild_id]

    async def get_meta(self, key: str) -> str | None:
        return self._meta.get(key)

    async def set_meta(self, key: str, value: str) -> None:
        self._meta[key] = value

    @staticmethod
    def _shas(job: Job) -> set[str]:
        shas = {job.content_sha, *job.style_shas}
        if job.result_sha:
            shas.add(job.result_sha)
        if job.progress is not None and job.progress.preview_sha:
            shas.add(job.progress.preview_sha)
        return shas

    async def _kept_values(self, refs: tuple[KeptFn, ...]) -> set[Any]:
        return {value for fn in refs for value in await fn()}

    async def forget_user(self, user_id: int) -> int:
        async with self._lock:
            kept_ids = await self._kept_values(self.kept.jobs)
            doomed = [j for j in self._jobs.values() if j.user_id == user_id and j.state != _R and j.id not in kept_ids]
            for job in doomed:
                del self._jobs[job.id]
                self._rank.pop(job.id, None)
            still = (await self._kept_values(self.kept.blobs)).union(*(self._shas(j) for j in self._jobs.values()))
            for sha in set().union(*(self._shas(j) for j in doomed)) - still:
                self._blobs.pop(sha, None)
            return len(doomed)

    def _job_kept(self, job: Job, cutoff: datetime) -> bool:
        if job.state not in TERMINAL_STATES or job.finished_at is None or job.finished_at >= cutoff:
            return True
        if job.created_at is not None and job.created_at >= cutoff:
            return True
        return job.delivered_at is None and job.target.kind != TargetKind.NONE

    async def gc(self, *, retention_seconds: float) -> int:
        async with self._lock:
            cutoff = self._now() - timedelta(seconds=retention_seconds)
            live = (self._shas(j) for j in self._jobs.values() if self._job_kept(j, cutoff))
            kept = (await self._kept_values(self.kept.blobs)).union(*live)
            doomed = [sha for sha, (_, created) in self._blobs.items() if sha not in kept and created < cutoff]
            for sha in doomed:
                del self._blobs[sha]
            return len(doomed)
