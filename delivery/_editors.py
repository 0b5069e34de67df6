"""The single-editor rule: which delivery loop edits which job's status message.

With several engines, every engine's delivery loop sees every job; if each edited every message, Discord would get
N times the edits (and N times the 429s). So each status message has exactly one editor at a time:

- a **running** job's message (progress, preview) is edited only by the loop whose own worker holds the job's lease
  (`job.lease_owner == worker_id`): the progress is made in that process, and the editor moves with the lease when
  another engine takes the job over;
- **queued** jobs' messages (position, ETA, "no engine is running") are edited by one elected loop, the holder of the
  advisory lease `delivery-editor` (`JobStore.hold_lease`): it renews the lease on every queue pass, and when it stops
  (its engine died or stopped) another loop takes over once the lease has expired (a stopping loop drops it at once);
- a **finished** job's result is not an edit under this rule: any loop may deliver it, and delivery stays exactly-once
  through the poster's idempotent paths (edit the status message, or a channel post with a nonce) and
  `mark_delivered`.

A loop without a worker id (`worker_id=None`: the only engine, `stylebot demo`, tests) edits every job. Whatever else
edits a job's message while it runs or waits (e.g. preview images) asks `EditorRule.edits(job)` first.
"""

from __future__ import annotations

import logging
from typing import Protocol

from jobqueue import Job, JobState

__all__ = ["EDITOR_LEASE", "EditorRule", "EditorStore"]

logger = logging.getLogger(__name__)

EDITOR_LEASE = "delivery-editor"


class EditorStore(Protocol):
    """The part of `jobqueue.JobStore` the editor election uses."""

    async def hold_lease(self, name: str, holder: str, *, seconds: float) -> bool: ...
    async def drop_lease(self, name: str, holder: str) -> None: ...


class EditorRule:
    """One delivery loop's side of the single-editor rule (see the module docstring)."""

    def __init__(self, store: EditorStore, worker_id: str | None, *, lease_seconds: float) -> None:
        self._store = store
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.queue_editor = worker_id is None  # as of the last `elect()`

    def edits(self, job: Job) -> bool:
        """Whether this loop may edit `job`'s status message now (running: its lease; queued: the election)."""
        if job.state is JobState.RUNNING:
            return self.worker_id is None or job.lease_owner == self.worker_id
        return job.state is JobState.QUEUED and self.queue_editor

    async def elect(self) -> bool:
        """Take or renew the `delivery-editor` lease; True while this loop edits queued jobs' messages."""
        if self.worker_id is None:
            return True
        held = await self._store.hold_lease(EDITOR_LEASE, self.worker_id, seconds=self.lease_seconds)
        if held != self.queue_editor:
            logger.info("delivery: %s editing queued jobs' messages", "now" if held else "no longer")
        self.queue_editor = held
        return held

    async def resign(self) -> None:
        """Give the lease up (a stopping loop), so that another loop takes over without waiting for it to expire."""
        if self.worker_id is not None and self.queue_editor:
            self.queue_editor = False
            await self._store.drop_lease(EDITOR_LEASE, self.worker_id)
