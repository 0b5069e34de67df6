"""`DeliveryLoop`: posts finished jobs exactly once, and edits status messages, inside `stylebot engine`.

Each pass: `store.pending_deliveries()` → render → load and fit the result file → `poster.deliver` →
`store.mark_delivered` (shielded from cancellation). The poster's paths are idempotent (editing the status message,
or a channel message with a nonce derived from the job), so a crash between posting and marking repeats the post
harmlessly; within one process a post whose mark failed is remembered and only the mark is retried.
Then the status edits of waiting and running jobs (`delivery._status.StatusEdits`): queue position and ETA, new instant
previews (once each, paced per channel), progress. `wake()` (or the `wake` event) starts the next pass at once, e.g.
when this process's preview lane has just recorded a preview. Failures back off per job (429s by their `retry_after`);
nothing is dropped except a result whose target no longer exists, or that stayed refused (permissions) for
`give_up_after` seconds. While the job store is unavailable (a database restart, SQLite's disk full) passes back off
exponentially with jitter up to `retry_cap` seconds, and the outage is logged once when it starts and once it ends.

The bot enqueues first and records the status message id after posting it (`store.set_status_message`). A job that
finishes in between would otherwise get a new channel message while its status message kept saying "queued", so an
interaction job without a status message id waits up to `status_wait` seconds after its token was created; after
that (the bot died before recording it) the result goes to the channel as usual.

One editor per message (`delivery._editors.EditorRule`, with several engines on one queue): given its worker's id, a
loop edits the progress only of running jobs whose lease its own worker holds, and refreshes queued jobs' positions
only while it holds the advisory `delivery-editor` lease (renewed each queue pass, taken over by another loop once it
expires, dropped when the loop stops). Results are delivered by any loop, exactly once as above. Without a worker id
(`worker_id=None`) a loop edits every job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from foundation import Outage
from jobqueue import BlobNotFound, Job, JobQueueError, JobState, Position, TargetKind

from delivery._editors import EditorRule, EditorStore
from delivery._files import DEFAULT_ATTACHMENT_LIMIT, attachment_limit, fit_attachment
from delivery._poster import Poster
from delivery._render import FilePayload, RenderedMessage, render_job, result_filename, without_image
from delivery._status import StatusEdits
from delivery.errors import (
    DeliveryError,
    NoTarget,
    PayloadTooLarge,
    PermanentDeliveryError,
    RateLimited,
    TargetGone,
)

__all__ = ["DeliveryLoop", "DeliveryStore"]

logger = logging.getLogger(__name__)

_MIN_LIMIT = 64 * 1024  # never re-encode below this, whatever Discord answers


class DeliveryStore(EditorStore, Protocol):
    """The part of `jobqueue.JobStore` that delivery uses."""

    async def pending_deliveries(self, *, limit: int = 20) -> list[Job]: ...
    async def mark_delivered(self, job_id: int) -> None: ...
    async def get_blob(self, sha: str) -> bytes: ...
    async def list_jobs(self, *, states: tuple[JobState, ...] | None = None, limit: int = 20) -> list[Job]: ...
    async def position(self, job_id: int) -> Position | None: ...
    async def previews_to_show(self, *, limit: int = 20) -> list[Job]: ...
    async def mark_preview_shown(self, job_id: int) -> None: ...


@dataclass
class _Backoff:
    failures: int = 0
    not_before: float = 0.0
    first_failure: float = 0.0


class DeliveryLoop(StatusEdits):
    def __init__(
        self,
        store: DeliveryStore,
        poster: Poster,
        *,
        poll_interval: float = 1.0,
        progress_interval: float = 3.0,
        queue_interval: float = 15.0,
        batch_size: int = 20,
        default_attachment_limit: int = DEFAULT_ATTACHMENT_LIMIT,
        retry_base: float = 1.0,
        retry_cap: float = 60.0,
        give_up_after: float = 3600.0,
        status_wait: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        worker_id: str | None = None,
        editor_lease: float | None = None,
        preview_interval: float = 1.5,
        wake: asyncio.Event | None = None,
    ) -> None:
        self._store, self._poster = store, poster
        self._poll, self._batch = poll_interval, batch_size
        self._default_limit = default_attachment_limit
        self._retry_base, self._retry_cap, self._give_up_after = retry_base, retry_cap, give_up_after
        self._clock, self._wall_clock, self._status_wait = clock, wall_clock, status_wait
        self._backoff: dict[int, _Backoff] = {}
        self._posted: dict[int, int | None] = {}  # posted, mark_delivered not yet recorded
        self.init_status_edits(
            progress_interval=progress_interval, queue_interval=queue_interval, preview_interval=preview_interval
        )
        self._outage = Outage("delivery: the job store", logger, base=poll_interval, cap=retry_cap)
        # the queue editor renews its lease every queue pass; three missed passes and another loop takes over
        lease = editor_lease if editor_lease is not None else max(3 * queue_interval, 10.0)
        self.editors = EditorRule(store, worker_id, lease_seconds=lease)
        self._wake = wake if wake is not None else asyncio.Event()

    def wake(self) -> None:
        """Run the next pass now (e.g. an instant preview was just recorded in this process)."""
        self._wake.set()

    async def run(self, *, drain_seconds: float = 10.0) -> None:
        """Deliver until cancelled (store outages are logged once and retried with backoff).

        On cancellation (the engine stopping) it spends up to `drain_seconds` posting what is already finished, so a
        `--burst` engine does not exit with undelivered results; what is left is delivered by the next engine.
        """
        logger.info("delivery loop started (poll every %.1f s)", self._poll)
        try:
            while True:
                wait = self._poll
                try:
                    await self.run_once()
                except JobQueueError as exc:
                    wait = self._outage.failed(exc)
                except Exception:  # a bug in one pass must not take the engine down with it; the next pass retries
                    logger.exception("delivery: unexpected error in a delivery pass")
                else:
                    self._outage.recovered()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                self._wake.clear()
        except asyncio.CancelledError:
            await self._drain(drain_seconds)
            await self._resign()
            raise
        finally:
            logger.info("delivery loop stopped")

    async def _drain(self, seconds: float) -> None:
        if seconds <= 0:
            return
        try:
            async with asyncio.timeout(seconds):
                for job in await self._store.pending_deliveries(limit=self._batch):
                    await self.deliver(job)
        except (TimeoutError, JobQueueError) as exc:
            logger.warning("delivery: stopping with results still to post (%s); the next engine posts them", exc)

    async def _resign(self) -> None:
        try:
            async with asyncio.timeout(2):
                await self.editors.resign()
        except (TimeoutError, JobQueueError) as exc:  # it expires on its own; another loop takes over then
            logger.info("delivery: could not hand the queue editor role back (%s)", exc)

    async def run_once(self) -> int:
        """One pass: deliver what is pending, then progress edits. Returns how many jobs were marked delivered."""
        delivered = 0
        # jobs backing off do not use up the batch, so one refused channel cannot starve everyone else's results
        for job in await self._store.pending_deliveries(limit=self._batch + len(self._backoff)):
            delivered += await self.deliver(job)
        await self.update_queue()  # first: it elects this loop as the queued jobs' editor or not
        await self.update_previews()
        await self.update_progress()
        return delivered

    async def run_until_idle(self) -> int:
        """Run passes until nothing is pending (tests, `stylebot demo`; wrap it in `asyncio.timeout`)."""
        total = 0
        while True:
            total += await self.run_once()
            if not await self._store.pending_deliveries(limit=1):
                return total
            await asyncio.sleep(self._poll)

    def _due(self, job_id: int) -> bool:
        entry = self._backoff.get(job_id)
        return entry is None or self._clock() >= entry.not_before

    async def deliver(self, job: Job) -> bool:
        """Deliver one terminal job if it is not backing off; True once `mark_delivered` is recorded."""
        if not self._due(job.id) or (job.id not in self._posted and self._awaiting_status_message(job)):
            return False
        extra = {"job_id": job.id, "action": "deliver"}
        if job.id not in self._posted:
            try:
                self._posted[job.id] = await self._post_fitting(job)
            except (TargetGone, NoTarget) as exc:
                logger.warning("job %s: result not posted, giving up: %s", job.id, exc, extra=extra)
                self._posted[job.id] = None
            except PermanentDeliveryError as exc:
                if not self._failed(job, exc, permanent=True):
                    return False
                self._posted[job.id] = None
            except (DeliveryError, JobQueueError) as exc:
                self._failed(job, exc, permanent=False)
                return False
            except Exception as exc:  # a bug must not stop every other delivery; the job is retried
                logger.exception("job %s: unexpected error while delivering", job.id, extra=extra)
                self._failed(job, exc, permanent=False)
                return False
        try:
            await asyncio.shield(self._store.mark_delivered(job.id))
        except JobQueueError as exc:
            self._failed(job, exc, permanent=False)
            return False
        logger.info("job %s: delivered (%s, message %s)", job.id, job.state.value, self._posted[job.id], extra=extra)
        for state in (self._posted, self._backoff):
            state.pop(job.id, None)
        self.forget_status(job.id)
        return True

    def _awaiting_status_message(self, job: Job) -> bool:
        """An interaction job whose status message the bot may be about to record (see the module docstring)."""
        t = job.target
        if t.kind is not TargetKind.INTERACTION or t.status_message_id is not None or t.token_created_at is None:
            return False
        created = t.token_created_at if t.token_created_at.tzinfo else t.token_created_at.replace(tzinfo=UTC)
        waiting = self._wall_clock() - created < timedelta(seconds=self._status_wait)
        if waiting:
            logger.debug("job %s: finished before its status message was recorded; waiting", job.id)
        return waiting

    def _failed(self, job: Job, exc: BaseException, *, permanent: bool) -> bool:
        """Record a failed attempt and schedule the next; True when a permanent failure has lasted too long."""
        now = self._clock()
        entry = self._backoff.setdefault(job.id, _Backoff(first_failure=now))
        entry.failures += 1
        delay = min(self._retry_cap, self._retry_base * 2 ** (entry.failures - 1))
        if isinstance(exc, RateLimited):
            delay = max(exc.retry_after, 0.05)
        elif permanent:
            delay = max(delay, min(300.0, self._give_up_after / 4))
        entry.not_before = now + delay
        extra = {"job_id": job.id, "action": "deliver"}
        if permanent and now - entry.first_failure >= self._give_up_after:
            logger.error("job %s: giving up on posting after repeated refusals: %s", job.id, exc, extra=extra)
            return True
        level = logging.ERROR if permanent else logging.WARNING
        logger.log(level, "job %s: delivery failed (retry in %.1f s): %s", job.id, delay, exc, extra=extra)
        return False

    async def _post_fitting(self, job: Job) -> int | None:
        """Post; when Discord still finds the file too large (413), re-encode to 60 % of its size and try again."""
        limit = attachment_limit(job.params, self._default_limit)
        for _ in range(4):
            message = await self._prepare(job, limit)
            try:
                return await self._poster.deliver(job, message)
            except PayloadTooLarge:
                size = sum(len(f.data) for f in message.files)
                if size <= _MIN_LIMIT:
                    raise
                limit = max(_MIN_LIMIT, int(size * 0.6))
                logger.info("job %s: Discord refused %d bytes as too large; re-encoding below %d", job.id, size, limit)
        raise PayloadTooLarge(f"job {job.id}: the result does not fit Discord's upload limit", job_id=job.id)

    async def _prepare(self, job: Job, limit: int) -> RenderedMessage:
        message = render_job(job)
        if message.image_sha is None:
            return message
        try:
            data = await self._store.get_blob(message.image_sha)
        except BlobNotFound:
            logger.warning("job %s: result image no longer stored; posting without it", job.id)
            return without_image(message)
        fitted, ext = await asyncio.to_thread(fit_attachment, data, limit)
        if len(fitted) != len(data):
            logger.info("job %s: result re-encoded, %d → %d bytes (limit %d)", job.id, len(data), len(fitted), limit)
        name = result_filename(job, ext)
        return render_job(job, image_name=name).with_files(FilePayload(name, fitted))
