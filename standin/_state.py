"""The stand-in's memory: ids, clock, users, guilds, channels, messages, interactions, commands and change waits."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from standin._payloads import DISCORD_EPOCH_MS, channel_payload, dm_payload, member_payload, message_payload
from standin._records import EPHEMERAL, LOADING, Channel, Guild, Interaction, Message, RequestRecord, StoredFile, User
from standin.errors import WaitTimeout

__all__ = ["INTERACTION_TTL", "NONCE_WINDOW", "Clock", "State"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
INTERACTION_TTL = 15 * 60.0  # seconds an interaction token works
NONCE_WINDOW = 5 * 60.0  # seconds within which an enforced nonce returns the earlier message


class Clock:
    """The stand-in's notion of now: wall time plus whatever the test fast-forwarded."""

    def __init__(self, base: Callable[[], float] = time.time) -> None:
        self._base = base
        self._offset = 0.0

    def now(self) -> float:
        return self._base() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


class State:
    """Everything the stand-in stores. Mutations call `changed()` so waiting tests wake up."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._seq = itertools.count(1)
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.interactions: dict[int, Interaction] = {}
        self.tokens: dict[str, Interaction] = {}
        self.files: dict[int, StoredFile] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_syncs: list[tuple[int | None, list[dict[str, Any]]]] = []
        self.nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self.requests: list[RequestRecord] = []
        self.downloads: list[tuple[int, int]] = []  # CDN fetches: (attachment id, HTTP status)
        self.dispatch: Callable[[str, dict[str, Any]], None] = lambda event, data: None
        self._event: asyncio.Event | None = None
        self.application_id = 0
        self.bot_user_id = 0
        self.owner_id = 0
        self.cdn_base = ""
        self.bot_token = ""
        self.token_revoked = False
        self.upload_limit = 10 * 1024 * 1024

    def token_ok(self, token: str) -> bool:
        """The bot token is valid unless a test revoked it (dead-token mode)."""
        return not self.token_revoked and token == self.bot_token

    # ids -----------------------------------------------------------------------------------------------------------
    def next_id(self) -> int:
        """A snowflake: real timestamp bits, so discord.utils.snowflake_time() gives sensible dates."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._seq) & 0x3FFFFF)

    # change notification -------------------------------------------------------------------------------------------
    def changed(self) -> None:
        """Wake every wait_for (called after each mutation, on the event loop)."""
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait_for(self, predicate: Callable[[], T], timeout: float, what: str = "condition") -> T:
        """Return predicate()'s first truthy value, re-checking after every change; WaitTimeout after `timeout` s."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    value = predicate()
                    if value:
                        return value
                    if self._event is None:
                        self._event = asyncio.Event()
                    await self._event.wait()
        except TimeoutError:
            recent = ", ".join(f"{r.method} {r.safe_path} {r.status}" for r in self.requests[-8:]) or "none"
            raise WaitTimeout(f"timed out after {timeout:g}s waiting for {what} (last requests: {recent})") from None

    # lookups -------------------------------------------------------------------------------------------------------
    def user(self, user_id: int) -> User:
        return self.users[user_id]

    def live_message(self, channel_id: int, message_id: int) -> Message | None:
        msg = self.messages.get(message_id)
        if msg is None or msg.deleted or msg.channel_id != channel_id:
            return None
        return msg

    def live_interaction(self, token: str) -> Interaction | None:
        """The interaction whose token this is, if it has not expired (15 minutes of stand-in time)."""
        inter = self.tokens.get(token)
        if inter is None:
            return None
        if inter.expired or self.clock.now() - inter.created_at > INTERACTION_TTL:
            inter.expired = True
            return None
        return inter

    def message_json(self, msg: Message, *, with_nonce: bool = False) -> dict[str, Any]:
        """The message object; like Discord, only the create answer and MESSAGE_CREATE echo the nonce."""
        data = message_payload(msg, self.users[msg.author_id], application_id=self.application_id, mentioned=self.users)
        if not with_nonce:
            data.pop("nonce", None)
        return data

    def channel_json(self, channel: Channel) -> dict[str, Any]:
        if channel.type == 1 and channel.recipient_id is not None:
            return dm_payload(channel, self.users[channel.recipient_id])
        return channel_payload(channel)

    def bot_denied(self, channel: Channel) -> bool:
        """Whether the bot may not post here (denied on the channel, or on a thread's parent)."""
        parent = self.channels.get(channel.parent_id or 0)
        return channel.bot_denied or (parent is not None and parent.bot_denied)

    def commands_for(self, guild_id: int | None) -> list[dict[str, Any]]:
        """Guild commands first (they shadow global ones of the same name), then global commands."""
        return [*self.guild_commands.get(guild_id or 0, []), *self.global_commands]

    # mutations -----------------------------------------------------------------------------------------------------
    def add_message(self, msg: Message) -> Message:
        self.messages[msg.id] = msg
        if not msg.ephemeral:
            self.dispatch("MESSAGE_CREATE", self.message_json(msg, with_nonce=True))
        self.changed()
        return msg

    def edit_message(self, msg: Message, payload: dict[str, Any], files: list[StoredFile]) -> Message:
        """Apply a PATCH body: keys present replace, `attachments` lists which old ones stay, files are appended."""
        for key in ("content", "embeds", "components"):
            if key in payload:
                setattr(msg, key, payload[key] if payload[key] is not None else ([] if key != "content" else ""))
        if payload.get("flags") is not None:  # ephemeral-ness cannot change; other flags (e.g. 1<<15) may
            fixed = EPHEMERAL | LOADING
            msg.flags = (msg.flags & fixed) | (int(payload["flags"]) & ~fixed)
        msg.attachments = keep_attachments(msg.attachments, payload) + files
        if payload.get("allowed_mentions") is not None:
            msg.allowed_mentions = payload["allowed_mentions"]
        msg.flags &= ~(1 << 7)  # an edit ends the "thinking…" state of a deferred response
        msg.edited_at = self.clock.now()
        msg.edits.append(payload)
        msg.edit_times.append(time.monotonic())
        if not msg.ephemeral:
            self.dispatch("MESSAGE_UPDATE", self.message_json(msg))
        self.changed()
        return msg

    def delete_message(self, msg: Message) -> None:
        msg.deleted = True
        if not msg.ephemeral:
            self.dispatch("MESSAGE_DELETE", {"id": str(msg.id), "channel_id": str(msg.channel_id)})
        self.changed()

    def react(self, msg: Message, emoji: str, user_id: int, *, add: bool) -> None:
        """Add or remove a reaction; MESSAGE_REACTION_ADD/REMOVE goes out (the bot sees members' votes)."""
        users = msg.reactions.setdefault(emoji, [])
        if add == (user_id in users):
            return
        if add:
            users.append(user_id)
        else:
            users.remove(user_id)
        if not users:
            del msg.reactions[emoji]
        name, _, emoji_id = emoji.partition(":")
        event = {
            "user_id": str(user_id),
            "channel_id": str(msg.channel_id),
            "message_id": str(msg.id),
            "emoji": {"id": emoji_id or None, "name": name},
            "type": 0,
            "burst": False,
        }
        guild = self.guilds.get(msg.guild_id or 0)
        if guild is not None:
            event["guild_id"] = str(guild.id)
            if add:
                event["member"] = member_payload(self.users[user_id], guild)
        self.dispatch("MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", event)
        self.changed()

    def dm_channel(self, user_id: int) -> Channel:
        """The bot's DM channel with a user (created on first use)."""
        found = next((c for c in self.channels.values() if c.type == 1 and c.recipient_id == user_id), None)
        if found is None:
            found = Channel(self.next_id(), None, "", type=1, recipient_id=user_id)
            self.channels[found.id] = found
        return found

    def remember_nonce(self, channel_id: int, nonce: str, message_id: int) -> None:
        self.nonces[(channel_id, nonce)] = (message_id, self.clock.now())

    def message_for_nonce(self, channel_id: int, nonce: str) -> Message | None:
        hit = self.nonces.get((channel_id, nonce))
        if hit is None or self.clock.now() - hit[1] > NONCE_WINDOW:
            return None
        return self.messages.get(hit[0])


def keep_attachments(current: list[StoredFile], payload: dict[str, Any]) -> list[StoredFile]:
    if "attachments" not in payload:
        return list(current)
    wanted = {str(a.get("id")) for a in payload.get("attachments") or []}
    return [a for a in current if str(a.id) in wanted]
