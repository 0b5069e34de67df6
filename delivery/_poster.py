"""`DiscordPoster`: puts a rendered job message on Discord through discord.py's REST pieces (no gateway).

Paths, in order of preference:
1. the interaction webhook (`Webhook.partial(application_id, token, client=…)`): edit the job's public status
   message while the interaction token lives (15 minutes after the interaction, minus a safety margin). Editing is
   idempotent, so repeating a delivery after a crash changes nothing;
2. the channel (or thread): a new message that mentions the member, sent with a `nonce` derived from the job,
   its outcome and its finish time and `enforce_nonce`, so Discord returns the first message instead of posting a
   second one when a delivery is repeated after a crash.

Every discord.py or network error is translated here, once, into `delivery.errors` (retryable vs permanent as types).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import aiohttp
import discord
from jobqueue import DeliveryTarget, Job, JobState, TargetKind

from delivery._discord import to_embed, to_files, to_view
from delivery._render import RenderedMessage
from delivery.errors import (
    DeliveryError,
    InteractionExpired,
    MissingPermissions,
    NoTarget,
    PayloadTooLarge,
    PermanentDeliveryError,
    RateLimited,
    RetryableDeliveryError,
    TargetGone,
)

__all__ = ["INTERACTION_TOKEN_LIFETIME", "DiscordPoster", "Poster", "channel_of", "delivery_nonce"]

logger = logging.getLogger(__name__)

INTERACTION_TOKEN_LIFETIME = timedelta(minutes=15)
T = TypeVar("T")


class Poster(Protocol):
    """What the delivery loop needs from Discord (`DiscordPoster`; `delivery.testing.RecordingPoster` in tests)."""

    async def update(self, job: Job, message: RenderedMessage) -> int | None:
        """Edit the job's status message (progress); `None` when there is no message that can be edited now."""
        ...

    async def deliver(self, job: Job, message: RenderedMessage) -> int | None:
        """Post the final message; safe to repeat. Returns the message id (`None`: nothing needed posting)."""
        ...


def delivery_nonce(job: Job, purpose: str = "final") -> str:
    """A 25-character nonce unique to this job, purpose and outcome (a retried job that finishes again differs)."""
    finished = job.finished_at.isoformat() if job.finished_at else ""
    digest = hashlib.sha256(f"{job.id}:{purpose}:{job.state.value}:{finished}".encode()).hexdigest()
    return f"sb{digest[:23]}"


def channel_of(job: Job) -> int | None:
    """The channel (or thread) a job's messages go to."""
    t = job.target
    return t.thread_id or t.channel_id or job.channel_id


class DiscordPoster:
    """Posts with a logged-in `discord.Client` that never connects to the gateway (`await client.login(token)`)."""

    def __init__(
        self,
        client: discord.Client,
        *,
        token_margin: timedelta = timedelta(seconds=90),
        request_timeout: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._margin = token_margin
        self._timeout = request_timeout
        self._clock = clock

    def token_alive(self, target: DeliveryTarget) -> bool:
        """Whether the interaction token may still be used (with a safety margin before its 15 minutes end)."""
        if target.kind is not TargetKind.INTERACTION or not target.interaction_token or not target.token_created_at:
            return False
        created = target.token_created_at
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        return self._clock() < created + INTERACTION_TOKEN_LIFETIME - self._margin

    async def update(self, job: Job, message: RenderedMessage) -> int | None:
        message_id = job.target.status_message_id
        if message_id is None:
            return None
        if self.token_alive(job.target):
            try:
                return await self._edit_via_webhook(job, message, message_id)
            except InteractionExpired:
                logger.info("job %s: interaction token no longer accepted; editing through the channel", job.id)
        channel_id = channel_of(job)
        if channel_id is None:
            return None
        return await self._edit_via_channel(job, message, channel_id, message_id)

    async def deliver(self, job: Job, message: RenderedMessage) -> int | None:
        message_id = job.target.status_message_id
        if message_id is not None and self.token_alive(job.target):
            try:
                return await self._edit_via_webhook(job, message, message_id)
            except InteractionExpired:
                logger.info("job %s: interaction token expired; posting the result in the channel", job.id)
        if job.state is JobState.CANCELLED:
            return await self._quiet_cancel(job, message)
        channel_id = channel_of(job)
        if channel_id is None:
            raise NoTarget(f"job {job.id}: no channel, thread or live interaction to post to", job_id=job.id)
        new_id = await self._send_to_channel(job, message, channel_id)
        if message_id is not None:
            await self._retire(job, message, channel_id, message_id, new_id)
        return new_id

    async def _retire(self, job: Job, message: RenderedMessage, channel_id: int, old_id: int, new_id: int) -> None:
        """Best effort: point the old status message (its token is dead) at the new one and drop its buttons."""
        link = f"https://discord.com/channels/{job.guild_id or '@me'}/{channel_id}/{new_id}"
        embed = {k: v for k, v in message.embed.items() if k not in ("image", "thumbnail", "fields")}
        embed["description"] = f"Finished: [see the result message]({link})."
        pointer = RenderedMessage(job.id, message.state, None, embed)
        try:
            await self._edit_via_channel(job, pointer, channel_id, old_id)
        except DeliveryError as exc:
            logger.info("job %s: old status message left as it was (%s)", job.id, exc)

    async def _quiet_cancel(self, job: Job, message: RenderedMessage) -> int | None:
        """A cancelled job needs no new message: mark the old status message if it can still be edited."""
        channel_id = channel_of(job)
        if job.target.status_message_id is None or channel_id is None:
            return None
        try:
            return await self._edit_via_channel(job, message, channel_id, job.target.status_message_id)
        except PermanentDeliveryError as exc:
            logger.info("job %s: cancelled; status message not updated (%s)", job.id, exc)
            return None

    async def _edit_via_webhook(self, job: Job, message: RenderedMessage, message_id: int) -> int:
        t = job.target
        application_id = t.application_id or self._client.application_id
        if application_id is None or t.interaction_token is None:
            raise InteractionExpired(f"job {job.id}: no application id or token for the interaction", job_id=job.id)
        webhook = discord.Webhook.partial(application_id, t.interaction_token, client=self._client)
        kwargs = _edit_kwargs(message)
        await self._call(job, "webhook", None, lambda: webhook.edit_message(message_id, **kwargs))
        return message_id

    async def _edit_via_channel(self, job: Job, message: RenderedMessage, channel_id: int, message_id: int) -> int:
        partial = self._client.get_partial_messageable(channel_id).get_partial_message(message_id)
        kwargs = _edit_kwargs(message)
        await self._call(job, "channel", channel_id, lambda: partial.edit(**kwargs))
        return message_id

    async def _send_to_channel(self, job: Job, message: RenderedMessage, channel_id: int) -> int:
        channel = self._client.get_partial_messageable(channel_id)
        mention = message.mention_user_id
        content = " ".join(x for x in (f"<@{mention}>" if mention else None, message.content) if x) or None
        kwargs: dict[str, Any] = {
            "content": content,
            "embed": to_embed(message),
            "files": to_files(message) or None,
            "view": to_view(message),
            "nonce": delivery_nonce(job),
            "allowed_mentions": discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(mention)] if mention else False
            ),
        }
        sent = await self._call(job, "channel", channel_id, lambda: channel.send(**kwargs))
        return sent.id

    async def _call(self, job: Job, path: str, channel_id: int | None, fn: Callable[[], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await fn()
        except discord.RateLimited as exc:
            raise RateLimited(f"job {job.id}: rate limited", retry_after=exc.retry_after, job_id=job.id) from exc
        except discord.HTTPException as exc:
            raise _translate(exc, job, path, channel_id) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise RetryableDeliveryError(
                f"job {job.id}: network error talking to Discord ({type(exc).__name__})", job_id=job.id
            ) from exc


def _edit_kwargs(message: RenderedMessage) -> dict[str, Any]:
    """Edits replace everything: content, embed, attachments (`[]` removes an old preview), buttons."""
    return {
        "content": message.content,
        "embed": to_embed(message),
        "attachments": to_files(message),
        "view": to_view(message),
    }


def _translate(exc: discord.HTTPException, job: Job, path: str, channel_id: int | None) -> DeliveryError:
    status, code = exc.status, exc.code
    where = f"channel {channel_id}" if channel_id else "the interaction"
    if status == 429:
        retry_after = _retry_after(exc)
        return RateLimited(f"job {job.id}: rate limited by Discord", retry_after=retry_after, job_id=job.id)
    if status >= 500:
        return RetryableDeliveryError(f"job {job.id}: Discord error {status}; will retry", job_id=job.id, status=status)
    if status == 413 or code == 40005:
        return PayloadTooLarge(f"job {job.id}: the files exceed the upload limit", job_id=job.id, status=status)
    if path == "webhook" and status in (401, 403, 404):
        return InteractionExpired(f"job {job.id}: interaction token rejected ({status})", job_id=job.id, status=status)
    if status == 403:
        return MissingPermissions(
            f"job {job.id}: the bot may not post in {where} (Discord code {code}); grant View Channel, Send Messages, "
            "Embed Links and Attach Files",
            channel_id=channel_id,
            job_id=job.id,
            status=status,
        )
    if status == 404:
        return TargetGone(f"job {job.id}: {where} or its message no longer exists", job_id=job.id, status=status)
    return PermanentDeliveryError(
        f"job {job.id}: Discord refused the message ({status}, code {code})", job_id=job.id, status=status
    )


def _retry_after(exc: discord.HTTPException) -> float:
    try:
        return max(0.0, float(exc.response.headers.get("Retry-After", 1.0)))
    except (AttributeError, TypeError, ValueError):
        return 1.0
