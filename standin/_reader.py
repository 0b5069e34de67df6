"""How a test reads what the stand-in recorded (interactions, messages, requests, synced commands) and waits for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from standin._gateway import Gateway
from standin._records import Channel, Interaction, Message, RequestRecord
from standin._state import State

__all__ = ["Reader"]

T = TypeVar("T")


class Reader:
    state: State
    gateway: Gateway

    # reading what was recorded -------------------------------------------------------------------------------------
    @property
    def interactions(self) -> list[Interaction]:
        return list(self.state.interactions.values())

    @property
    def messages(self) -> list[Message]:
        """Every message ever created (deleted ones included, with `deleted=True`), oldest first."""
        return list(self.state.messages.values())

    def channel_messages(self, channel_id: int, *, include_ephemeral: bool = True) -> list[Message]:
        """Live messages in a channel or thread, oldest first (interaction responses and follow-ups included)."""
        return [
            m
            for m in self.messages
            if m.channel_id == channel_id and not m.deleted and (include_ephemeral or not m.ephemeral)
        ]

    def message(self, message_id: int) -> Message:
        return self.state.messages[message_id]

    @property
    def threads(self) -> list[Channel]:
        return [c for c in self.state.channels.values() if c.is_thread]

    @property
    def requests(self) -> list[RequestRecord]:
        """Every REST request (method, path below the API base, status, query), injected failures included."""
        return list(self.state.requests)

    def downloads(self, attachment: dict[str, Any] | int | None = None) -> list[int]:
        """HTTP statuses of CDN fetches (of one attachment, or of all): prove a rejected upload was never fetched."""
        wanted = None if attachment is None else int(attachment["id"] if isinstance(attachment, dict) else attachment)
        return [status for file_id, status in self.state.downloads if wanted in (None, file_id)]

    @property
    def command_syncs(self) -> list[tuple[int | None, list[dict[str, Any]]]]:
        """Each bulk overwrite received: (guild id or None for global, the command payloads as sent)."""
        return list(self.state.command_syncs)

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Registered commands: a guild's own plus the global ones (without guild_id: the global ones only)."""
        return self.state.commands_for(guild_id) if guild_id else list(self.state.global_commands)

    def transcript(self) -> str:
        """Every message as one line (channel, author, text, files, buttons, flags): handy in assertion messages."""
        lines = []
        for m in self.messages:
            channel = self.state.channels.get(m.channel_id)
            where = f"#{channel.name}" if channel and channel.name else str(m.channel_id)
            tags = [t for t, on in (("ephemeral", m.ephemeral), ("deleted", m.deleted), ("thinking", m.loading)) if on]
            extras = [f"files={[a.filename for a in m.attachments]}"] if m.attachments else []
            extras += [f"buttons={m.custom_ids}"] if m.custom_ids else []
            text = m.text().replace("\n", " | ")
            lines.append(" ".join([where, f"{self.state.users[m.author_id].name}:", text, *extras, *tags]))
        return "\n".join(lines)

    # waiting -------------------------------------------------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
        """Re-evaluate `predicate()` after every change the stand-in records; return its first truthy value."""
        return await self.state.wait_for(predicate, timeout, what)

    async def wait_for_message(
        self, channel_id: int, predicate: Callable[[Message], bool] = lambda m: True, timeout: float = 10.0
    ) -> Message:
        """The first live message in the channel (or thread) that satisfies `predicate` (checked again on edits)."""

        def find() -> Message | None:
            return next((m for m in self.channel_messages(channel_id) if predicate(m)), None)

        return await self.wait_for(find, timeout, f"a matching message in channel {channel_id}")

    async def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Until a bot has IDENTIFYed on the gateway (READY and GUILD_CREATE sent)."""
        await self.wait_for(lambda: self.gateway.live_sessions, timeout, "a bot to connect to the gateway")
