"""Errors of the delivery package: what went wrong posting to Discord, as types.

    StylebotError
    └── DeliveryError                  posting a job's progress or result failed
        ├── RetryableDeliveryError     try again later (network, Discord 5xx)
        │   └── RateLimited            Discord answered 429; `retry_after` says when
        ├── InteractionExpired         the interaction token is dead (401/403/404): use the channel path
        └── PermanentDeliveryError     retrying the same request will not help
            ├── MissingPermissions     the bot may not post (or attach, or embed) in that channel
            ├── TargetGone             the channel, thread or message no longer exists
            ├── PayloadTooLarge        the files exceed the upload limit (413): re-encode smaller
            └── NoTarget               the job names nowhere to post

`discord.HTTPException` and network errors are translated once, in `delivery._poster`, and chained (`raise … from`).
"""

from __future__ import annotations

from foundation import StylebotError

__all__ = [
    "DeliveryError",
    "InteractionExpired",
    "MissingPermissions",
    "NoTarget",
    "PayloadTooLarge",
    "PermanentDeliveryError",
    "RateLimited",
    "RetryableDeliveryError",
    "TargetGone",
]


class DeliveryError(StylebotError):
    """Posting to Discord failed."""

    def __init__(self, message: str | None = None, *, job_id: int | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.status = status


class RetryableDeliveryError(DeliveryError):
    """Posting to Discord failed for a passing reason (network, Discord 5xx); it will be retried."""


class RateLimited(RetryableDeliveryError):
    """Discord rate-limited the request (429); it will be retried after `retry_after` seconds."""

    def __init__(self, message: str | None = None, *, retry_after: float = 1.0, **kw: int | None) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class InteractionExpired(DeliveryError):
    """The interaction token is no longer valid (older than 15 minutes or revoked); post in the channel instead."""


class PermanentDeliveryError(DeliveryError):
    """Discord refused the message; the same request will not succeed without a change on the server."""


class MissingPermissions(PermanentDeliveryError):
    """The bot lacks a permission in the target channel (View Channel, Send Messages, Embed Links, Attach Files)."""

    def __init__(self, message: str | None = None, *, channel_id: int | None = None, **kw: int | None) -> None:
        super().__init__(message, **kw)
        self.channel_id = channel_id


class TargetGone(PermanentDeliveryError):
    """The channel, thread or message to post in no longer exists."""


class PayloadTooLarge(PermanentDeliveryError):
    """The attached files exceed Discord's upload limit for this channel (413)."""


class NoTarget(PermanentDeliveryError):
    """The job names no channel, thread or live interaction to post to."""
