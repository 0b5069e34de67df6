"""Jobs in `InMemoryJobStore`: enqueue, read, cancel, retry, purge, and the delivery bookkeeping of finished jobs
(the twin of `jobqueue._sql_jobs`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timedelta

from jobqueue._memory_core import MemoryCore
from jobqueue._policy import ACTIVE_STATES, INTERACTION_TOKEN_SECONDS, RETRYABLE_FROM, check_enqueue_limits
from jobqueue._types import TERMINAL_STATES, EnqueueLimits, Job, JobState, NewJob, TargetKind, queued_job
from jobqueue.errors import InvalidTransition

__all__ = ["MemoryJobs"]

_Q, _R = JobState.QUEUED, JobState.RUNNING
_CLEARED_ON_RETRY = dict.fromkeys(
    (
        *("delivered_at", "finished_at", "started_at", "not_before", "cancelled_by", "error", "result_sha"),
        *("progress", "lease_owner", "lease_token", "lease_expires_at"),
    )
)


class MemoryJobs(MemoryCore):
    """Producers, readers and admins of jobs; delivery's bookkeeping."""

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
            queued = self._set(job, state=_Q, attempts=0, cancel_requested=False, result_meta={}, **_CLEARED_ON_RETRY)
            await self._drop_unused_blobs([job.progress.preview_sha if job.progress else None])  # the last run's
            return queued

    async def purge(self, *, guild_id: int | None = None, user_id: int | None = None) -> int:
        async with self._lock:
            now, n = self._now(), 0
            for job in list(self._jobs.values()):
                if job.state == _Q and guild_id in (None, job.guild_id) and user_id in (None, job.user_id):
                    self._set(job, state=JobState.CANCELLED, finished_at=now)
                    n += 1
            return n

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
            target = dataclasses.replace(job.target, interaction_token=None)  # nothing needs it any more
            self._set(job, delivered_at=job.delivered_at or self._now(), target=target)

    async def expire_interaction_tokens(self, *, max_age_seconds: float = INTERACTION_TOKEN_SECONDS) -> int:
        async with self._lock:
            cutoff = self._now() - timedelta(seconds=max_age_seconds)
            expired = [
                j
                for j in self._jobs.values()
                if j.target.interaction_token is not None and (j.target.token_created_at or j.created_at) < cutoff
            ]
            for job in expired:
                self._set(job, target=dataclasses.replace(job.target, interaction_token=None))
            return len(expired)

    async def set_status_message(self, job_id: int, message_id: int) -> None:
        async with self._lock:
            job = self._job(job_id)
            self._set(job, target=dataclasses.replace(job.target, status_message_id=message_id))
