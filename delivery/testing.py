"""Test double of the poster: `RecordingPoster` implements `delivery.Poster` and records what a member would see.

It follows `DiscordPoster`'s rules without a network: a job with a status message is delivered by editing that
message (repeating the edit changes nothing); otherwise by a channel message keyed by `delivery_nonce(job)`, so a
repeated delivery returns the first message, like Discord's `enforce_nonce`. `fail_next(exc, …)` makes the next
calls raise the given errors (a 429, a dead channel…), in order.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from jobqueue import Job

from delivery._poster import delivery_nonce
from delivery._render import RenderedMessage

__all__ = ["PostedMessage", "RecordingPoster"]


@dataclass
class PostedMessage:
    message_id: int
    job_id: int
    channel_id: int | None
    message: RenderedMessage  # the latest content
    edits: int = 0


class RecordingPoster:
    def __init__(self, *, first_message_id: int = 9_000_000) -> None:
        self.messages: dict[int, PostedMessage] = {}  # what is in Discord, by message id
        self.calls: list[tuple[str, int]] = []  # ("update" | "deliver", job id), failed calls included
        self._ids = itertools.count(first_message_id)
        self._by_nonce: dict[str, int] = {}
        self._errors: list[BaseException] = []

    def fail_next(self, *errors: BaseException) -> None:
        self._errors.extend(errors)

    def _maybe_fail(self) -> None:
        if self._errors:
            raise self._errors.pop(0)

    def _edit(self, job: Job, message: RenderedMessage) -> int:
        message_id = job.target.status_message_id
        assert message_id is not None
        posted = self.messages.get(message_id)
        if posted is None:  # the bot's status message, made before this poster saw the job
            posted = self.messages[message_id] = PostedMessage(message_id, job.id, job.channel_id, message)
        posted.message = message
        posted.edits += 1
        return message_id

    async def update(self, job: Job, message: RenderedMessage) -> int | None:
        self.calls.append(("update", job.id))
        self._maybe_fail()
        if job.target.status_message_id is None:
            return None
        return self._edit(job, message)

    async def deliver(self, job: Job, message: RenderedMessage) -> int | None:
        self.calls.append(("deliver", job.id))
        self._maybe_fail()
        if job.target.status_message_id is not None:
            return self._edit(job, message)
        nonce = delivery_nonce(job)
        if nonce in self._by_nonce:
            return self._by_nonce[nonce]
        message_id = self._by_nonce[nonce] = next(self._ids)
        channel = job.target.thread_id or job.target.channel_id or job.channel_id
        self.messages[message_id] = PostedMessage(message_id, job.id, channel, message)
        return message_id

    def for_job(self, job_id: int) -> list[PostedMessage]:
        return [m for m in self.messages.values() if m.job_id == job_id]
