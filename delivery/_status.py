"""`StatusEdits`: the delivery loop's edits of waiting and running jobs' status messages (a mixin of `DeliveryLoop`).

- progress: running jobs get an edit when their progress changed, at most every `progress_interval` seconds each;
- queue: queued jobs get their position and ETA refreshed every `queue_interval` seconds, only when it changed, while
  this loop is the elected editor of queued jobs;
- instant previews: each new one is shown once, paced per channel (`delivery._previews`).

Every edit goes to the message's single editor (`delivery._editors.EditorRule`) and carries the pictures its embed
shows (a Discord edit replaces all attachments). Failures back off per job (429s by their `retry_after`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jobqueue import Job, JobQueueError, JobState, Position, TargetKind

from delivery._editors import EditorRule
from delivery._poster import Poster, channel_of
from delivery._previews import ChannelPacer, with_status_files
from delivery._render import render_job
from delivery.errors import DeliveryError, PermanentDeliveryError, RateLimited

__all__ = ["StatusEdits"]

logger = logging.getLogger("delivery._loop")  # one logger for the whole loop


@dataclass
class _Shown:
    key: tuple[object, ...]
    at: float


class StatusEdits:
    """Progress, queue-position and preview edits (see the module docstring); state set up by `init_status_edits`."""

    _store: Any
    _poster: Poster
    _clock: Callable[[], float]
    _batch: int
    editors: EditorRule

    def init_status_edits(self, *, progress_interval: float, queue_interval: float, preview_interval: float) -> None:
        self._progress_interval, self._queue_interval = progress_interval, queue_interval
        self._next_queue_check = 0.0
        self._shown: dict[int, _Shown] = {}
        self._queue_shown: dict[int, tuple[object, ...]] = {}
        self._progress_backoff: dict[int, float] = {}
        self._pacer = ChannelPacer(preview_interval)

    def forget_status(self, job_id: int) -> None:
        """Drop what was remembered about a job's status message (its result was delivered)."""
        for state in (self._shown, self._progress_backoff, self._queue_shown):
            state.pop(job_id, None)

    async def update_progress(self) -> int:
        """Edit the status message of running jobs whose progress changed (this loop's, see `EditorRule`); returns
        the number of edits."""
        running = await self._store.list_jobs(states=(JobState.RUNNING,), limit=100)
        now, edits = self._clock(), 0
        live = {job.id for job in running}
        for stale in [job_id for job_id in self._shown if job_id not in live]:
            self._shown.pop(stale, None)
        for job in running:
            if job.target.kind is TargetKind.NONE or job.target.status_message_id is None:
                continue
            if not self.editors.edits(job):  # another engine's job: its own delivery loop edits it
                continue
            key = _progress_key(job)
            shown = self._shown.get(job.id)
            if shown is not None and (shown.key == key or now - shown.at < self._progress_interval):
                continue
            if now < self._progress_backoff.get(job.id, 0.0):
                continue
            edits += await self._edit_progress(job, key, now)
        return edits

    async def _edit_progress(self, job: Job, key: tuple[object, ...], now: float) -> int:
        outcome = await self._edit(job, None, now, retry=self._progress_interval, what="progress edit")
        if outcome == "refused":  # e.g. the channel is gone: no more progress for this job
            self._progress_backoff[job.id] = float("inf")
        if outcome != "done":
            return 0
        self._shown[job.id] = _Shown(key, now)
        return 1

    async def _edit(self, job: Job, position: Position | None, now: float, *, retry: float, what: str) -> str:
        """Render the job's status message (with its pictures) and edit it: "done", "refused" (for good), or
        "later" (backed off `retry` seconds, or Discord's `retry_after`)."""
        try:
            message = await with_status_files(render_job(job, position=position), self._store.get_blob)
            await self._poster.update(job, message)
        except PermanentDeliveryError as exc:
            logger.info("job %s: %s refused: %s", job.id, what, exc, extra={"job_id": job.id})
            return "refused"
        except (DeliveryError, JobQueueError) as exc:
            logger.debug("job %s: %s failed: %s", job.id, what, exc, extra={"job_id": job.id})
            self._progress_backoff[job.id] = now + (exc.retry_after if isinstance(exc, RateLimited) else retry)
            return "later"
        return "done"

    async def update_previews(self) -> int:
        """Show each new instant preview once on its job's status message (this loop's jobs, see `EditorRule`),
        at most one preview edit per channel every `preview_interval` seconds; returns the number of edits."""
        now, edits = self._clock(), 0
        # more than a batch: a channel whose previews wait for their pace must not hold up other channels' ones
        for job in await self._store.previews_to_show(limit=max(self._batch, 100)):
            if not self.editors.edits(job) or now < self._progress_backoff.get(job.id, 0.0):
                continue
            if not self._pacer.allow(channel_of(job) or 0, now):  # 0: unknown channels share one pace
                continue
            position = await self._store.position(job.id) if job.state is JobState.QUEUED else None
            outcome = await self._edit(job, position, now, retry=self._progress_interval, what="preview edit")
            if outcome == "later":
                continue
            if outcome == "done":
                edits += 1
            await self._store.mark_preview_shown(job.id)  # shown, or refused for good: never tried again
            # what the queue or progress pass would show now is on screen already
            if position is not None:
                self._queue_shown[job.id] = _queue_key(position)
            else:
                self._shown[job.id] = _Shown(_progress_key(job), now)
        return edits

    async def update_queue(self) -> int:
        """Refresh queued jobs' position / ETA / "no engine" notice when it changed, while this loop is the elected
        queue editor (`EditorRule.elect`); returns the number of edits."""
        now = self._clock()
        if now < self._next_queue_check:
            return 0
        self._next_queue_check = now + self._queue_interval
        was_editor = self.editors.queue_editor
        if not await self.editors.elect():  # another loop edits queued jobs' messages
            return 0
        if not was_editor:  # (re)gained the role: what this loop showed before may be stale, refresh each once
            self._queue_shown.clear()
        queued = [
            job
            for job in await self._store.list_jobs(states=(JobState.QUEUED,), limit=50)
            if job.target.kind is not TargetKind.NONE and job.target.status_message_id is not None
        ]
        for stale in set(self._queue_shown) - {job.id for job in queued}:
            self._queue_shown.pop(stale, None)
        edits = 0
        for job in queued:
            position = await self._store.position(job.id)
            if position is None or now < self._progress_backoff.get(job.id, 0.0):
                continue
            key = _queue_key(position)
            if job.id not in self._queue_shown and _fresh(job, self._queue_interval):
                self._queue_shown[job.id] = key  # the bot has just rendered it
            if self._queue_shown.get(job.id) == key:
                continue
            outcome = await self._edit(job, position, now, retry=self._queue_interval, what="queue position edit")
            if outcome == "refused":  # tried again at the next change of position, as any failure
                self._progress_backoff[job.id] = now + self._queue_interval
            if outcome != "done":
                continue
            self._queue_shown[job.id] = key
            edits += 1
        return edits


def _progress_key(job: Job) -> tuple[object, ...]:
    p = job.progress
    return (p.step, p.total, p.preview_sha, job.cancel_requested) if p else (None, job.cancel_requested)


def _queue_key(position: Position) -> tuple[object, ...]:
    eta = None if position.eta_seconds is None else round(position.eta_seconds / 30)
    return (position.position, eta, position.workers_alive > 0)


def _fresh(job: Job, seconds: float) -> bool:
    if job.created_at is None:
        return False
    created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=UTC)
    return datetime.now(UTC) - created < timedelta(seconds=seconds)
