"""`PreviewLane`: makes each waiting or running job's instant preview, beside the worker, in one engine at a time.

    lane = PreviewLane(store, make_preview, holder=worker_id, on_ready=delivery.wake)
    await lane.run()                      # until cancelled, beside `Worker.run()` and the delivery loop

`make_preview(job)` is the engine's side (in `stylebot engine`: the instant network in a thread): it returns the
picture's bytes (JPEG), or None when the job gets no preview (e.g. its preset is itself instant). The lane:

- works only while it holds the advisory lease `preview-lane` (`JobStore.hold_lease`), renewed every pass, so one
  engine makes previews however many run (another takes over once a stopped engine's lease expires);
- takes the active jobs without a preview, oldest first (`JobStore.preview_candidates`), and records each picture once
  (`record_preview`; a job that finished meanwhile is skipped). A job gets none (recorded as such, never retried) when
  it has no message to show it on, its server turned previews off (`GuildSettings.previews`), `make_preview` returns
  None, fails, or takes longer than `timeout` seconds;
- spends at most `share` of the wall-clock time making previews, averaged with a `burst` allowance (a token bucket of
  seconds of work), so a queue of 50 new jobs does not take the CPU from the optimisation that is running: the first
  few previews come at once, the rest at the rate the share allows;
- calls `on_ready(job_id)` after recording a picture (the delivery loop of the same process wakes up and shows it;
  other engines' loops find it on their next pass).

Database outages are logged once (`foundation.Outage`) and retried with backoff; the lane never raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from foundation import Outage

from jobqueue._protocol import JobStore
from jobqueue._types import Job, TargetKind
from jobqueue.errors import JobQueueError

__all__ = ["PREVIEW_LEASE", "MakePreview", "PreviewLane"]

logger = logging.getLogger(__name__)

PREVIEW_LEASE = "preview-lane"
MakePreview = Callable[[Job], Awaitable[bytes | None]]


class PreviewLane:
    """The preview lane of one engine (see the module docstring)."""

    def __init__(
        self,
        store: JobStore,
        make_preview: MakePreview,
        *,
        holder: str,
        poll_interval: float = 0.5,
        lease_seconds: float = 15.0,
        share: float = 0.05,
        burst: float = 2.0,
        timeout: float = 60.0,
        batch: int = 10,
        on_ready: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        self._store, self._make, self.holder = store, make_preview, holder
        self._poll, self._lease, self._timeout, self._batch = poll_interval, lease_seconds, timeout, batch
        self._share, self._burst = share, burst
        self._credit, self._credit_at = burst, clock()
        self._on_ready, self._clock = on_ready, clock
        self._outage = Outage("preview lane: the job store", logger, base=poll_interval, cap=30.0)
        self.made = 0  # previews recorded with a picture (metrics, tests)

    async def run(self) -> None:
        """Make previews until cancelled (then the lease is handed back so another engine can take over)."""
        logger.info("preview lane started (at most %.0f %% of the time)", 100 * self._share)
        try:
            while True:
                wait = self._poll
                try:
                    await self.run_once()
                except JobQueueError as exc:
                    wait = self._outage.failed(exc)
                except Exception:  # a bug in one pass must not stop the engine; the next pass retries
                    logger.exception("preview lane: unexpected error")
                else:
                    self._outage.recovered()
                await asyncio.sleep(wait)
        finally:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self._store.drop_lease(PREVIEW_LEASE, self.holder)
            logger.info("preview lane stopped")

    async def run_once(self) -> int:
        """One pass: hold the lease, then make the previews due (within the time share). Returns how many jobs were
        settled (with or without a picture)."""
        if not await self._store.hold_lease(PREVIEW_LEASE, self.holder, seconds=self._lease):
            return 0
        settled = 0
        guilds: dict[int, bool] = {}
        for job in await self._store.preview_candidates(limit=self._batch):
            image = None
            if await self._wanted(job, guilds):
                if not self._has_credit():  # over the time share: the next passes go on (renewing the lease)
                    break
                image = await self._timed(job)
            if await self._store.record_preview(job.id, image):
                settled += 1
                if image is not None:
                    self.made += 1
                    logger.debug("job %s: instant preview ready (%d bytes)", job.id, len(image))
                    if self._on_ready is not None:
                        self._on_ready(job.id)
        return settled

    async def _wanted(self, job: Job, guilds: dict[int, bool]) -> bool:
        if job.target.kind is TargetKind.NONE:
            return False
        if job.guild_id is None:
            return True
        if job.guild_id not in guilds:
            guilds[job.guild_id] = (await self._store.get_guild_settings(job.guild_id)).previews is not False
        return guilds[job.guild_id]

    async def _timed(self, job: Job) -> bytes | None:
        started = self._clock()
        try:
            async with asyncio.timeout(self._timeout):
                return await self._make(job)
        except TimeoutError:
            logger.warning("job %s: no instant preview (took over %.0f s)", job.id, self._timeout)
        except Exception as exc:  # the job itself may still run: only its preview is lost
            logger.warning("job %s: no instant preview: %s", job.id, exc, extra={"job_id": job.id})
        finally:
            self._credit -= self._clock() - started
        return None

    def _has_credit(self) -> bool:
        """The token bucket: credit grows by `share` seconds per second up to `burst`; making a preview spends the
        seconds it took, and none is started while the credit is below zero."""
        now = self._clock()
        self._credit = min(self._burst, self._credit + (now - self._credit_at) * self._share)
        self._credit_at = now
        return self._credit >= 0
