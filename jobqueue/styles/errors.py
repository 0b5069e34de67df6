"""Errors of the style library (under `JobQueueError`); each carries the ids and names involved.

    JobQueueError
    └── StyleError
        ├── StyleNotFound(guild_id, name)
        ├── StyleNameTaken(guild_id, name)
        └── StyleLimitReached(guild_id, limit)

The bot's error handler owns the member-facing text; these messages are for logs and the CLI.
"""

from __future__ import annotations

from jobqueue.errors import JobQueueError

__all__ = ["StyleError", "StyleLimitReached", "StyleNameTaken", "StyleNotFound"]


class StyleError(JobQueueError):
    """The style library action failed."""


class StyleNotFound(StyleError):
    """No style of that name in this server's library."""

    def __init__(self, guild_id: int, name: str) -> None:
        self.guild_id = guild_id
        self.name = name
        super().__init__(f"guild {guild_id}: no style named {name!r}")


class StyleNameTaken(StyleError):
    """This server's library already has a style of that name (names are case-insensitive)."""

    def __init__(self, guild_id: int, name: str) -> None:
        self.guild_id = guild_id
        self.name = name
        super().__init__(f"guild {guild_id}: a style named {name!r} exists")


class StyleLimitReached(StyleError):
    """This server's library holds as many styles as allowed."""

    def __init__(self, guild_id: int, limit: int) -> None:
        self.guild_id = guild_id
        self.limit = limit
        super().__init__(f"guild {guild_id}: style library is full ({limit} styles)")
