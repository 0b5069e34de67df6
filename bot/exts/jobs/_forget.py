"""/forget's work: cancel the caller's queued jobs, delete their jobs and images (results and every progress preview
too) and their challenge rows (`JobStore.forget_user`), and retire orphan status messages.

The store deletes forgotten jobs outright, so the delivery loop never sees them again: a queued job's status message
would say "queued" forever, and a finished job's undelivered result would never replace it. Those messages are
edited here, once, before replying (best effort, bounded in time; a message that cannot be edited is logged).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from delivery import DeliveryError, Poster, RenderedMessage, render_job
from jobqueue import TERMINAL_STATES, Job, JobNotFound, JobState, TargetKind

if TYPE_CHECKING:
    from jobqueue import JobStore

__all__ = ["Forgotten", "forget", "forget_reply"]

logger = logging.getLogger(__name__)

EDIT_TIMEOUT = 10.0
MAX_EDITS = 25  # more than a member can have queued; older undelivered ones beyond this are only logged
FORGOTTEN_TEXT = "Deleted at the member's request (/forget): this job and its images are no longer stored."
# what the job store's `forget_user` does to challenge rows (jobqueue.challenges._forget)
CHALLENGES_TEXT = (
    "Challenges: your withdrawn entries and your entries in finished challenges are deleted with their pictures; "
    "your votes are taken back in running challenges and kept only as anonymous counts in finished ones. "
    "Entries still in a running challenge are kept: withdraw them with /challenge withdraw, then run /forget again."
)


@dataclass(frozen=True)
class Forgotten:
    cancelled: int  # queued jobs cancelled
    deleted: int  # jobs deleted with their images and results
    running: int  # running jobs kept until they finish
    retired: int  # status messages edited to say the job was deleted


def _orphan_candidate(job: Job) -> bool:
    """A job whose status message only the delivery loop would have updated (it will not, once the job is gone)."""
    if job.target.kind is TargetKind.NONE or job.target.status_message_id is None:
        return False
    return job.state is JobState.QUEUED or (job.state in TERMINAL_STATES and job.delivered_at is None)


async def _gone(store: JobStore, job_id: int) -> bool:
    try:
        await store.get(job_id)
    except JobNotFound:
        return True
    return False


def _forgotten_message(job: Job) -> RenderedMessage:
    message = render_job(replace(job, state=JobState.CANCELLED))
    embed = {**message.embed, "title": "Deleted", "description": FORGOTTEN_TEXT}
    return replace(message, embed=embed, buttons=())


async def _retire(poster: Poster, jobs: list[Job]) -> int:
    async def one(job: Job) -> bool:
        try:
            await poster.update(job, _forgotten_message(job))
        except DeliveryError as exc:
            logger.info("job %s: forgotten, status message not updated (%s)", job.id, exc, extra={"job_id": job.id})
            return False
        return True

    done: list[bool] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(EDIT_TIMEOUT):
            done = await asyncio.gather(*(one(job) for job in jobs[:MAX_EDITS]))
    return sum(done)


async def forget(store: JobStore, user_id: int, poster: Poster) -> Forgotten:
    """Cancel the member's queued jobs, delete every job of theirs that is not running (open challenge entries
    excepted), then point each orphaned status message at what happened."""
    before = await store.list_jobs(user_id=user_id, limit=1000)
    cancelled = await store.purge(user_id=user_id)
    deleted = await store.forget_user(user_id)
    orphans = [job for job in before if _orphan_candidate(job) and await _gone(store, job.id)]
    retired = await _retire(poster, orphans) if orphans else 0
    running = len(await store.list_jobs(user_id=user_id, states=(JobState.RUNNING,), limit=100))
    return Forgotten(cancelled, deleted, running, retired)


def forget_reply(result: Forgotten) -> str:
    def jobs(n: int) -> str:
        return f"{n} job{'s' if n != 1 else ''}"

    if result.deleted == 0 and result.cancelled == 0 and result.running == 0:
        return f"You have no stored jobs: there were no images to delete. {CHALLENGES_TEXT}"
    parts = [f"Deleted {jobs(result.deleted)} with their stored images, results and progress previews."]
    if result.cancelled:
        parts.append(
            f"{jobs(result.cancelled)} still queued {'was' if result.cancelled == 1 else 'were'} cancelled first."
        )
    if result.retired:
        parts.append(f"Their public status messages now say so ({result.retired} edited).")
    if result.running:
        parts.append(
            f"{jobs(result.running)} running right now {'keeps its' if result.running == 1 else 'keep their'} "
            "images until finished; run /forget again then."
        )
    parts.append(CHALLENGES_TEXT)
    return " ".join(parts)
