"""What the stand-in knows and records: plain mutable dataclasses that tests read and assert on."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ADMINISTRATOR",
    "DEFAULT_MEMBER_PERMISSIONS",
    "EPHEMERAL",
    "LOADING",
    "MANAGE_GUILD",
    "Callback",
    "Channel",
    "Guild",
    "Interaction",
    "Message",
    "RequestRecord",
    "StoredFile",
    "User",
]

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
# View channel, send messages, embed links, attach files, read history, use application commands.
DEFAULT_MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31)
_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_EVERYONE = re.compile(r"@(everyone|here)\b")
EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class User:
    id: int
    name: str
    bot: bool = False


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    everyone_role_id: int
    channel_ids: list[int] = field(default_factory=list)
    members: dict[int, int] = field(default_factory=dict)  # user id -> permissions bits
    roles: dict[int, str] = field(default_factory=dict)  # role id -> name
    role_bits: dict[int, int] = field(default_factory=dict)  # role id -> permissions
    member_roles: dict[int, list[int]] = field(default_factory=dict)  # user id -> role ids (besides @everyone)

    @property
    def channel_id(self) -> int:
        """The first text channel (where commands run unless told otherwise)."""
        return self.channel_ids[0]


@dataclass
class Channel:
    id: int
    guild_id: int | None
    name: str
    type: int = 0  # 0 text, 11 public thread, 12 private thread
    parent_id: int | None = None
    owner_id: int | None = None
    starter_message_id: int | None = None
    archived: bool = False
    locked: bool = False
    recipient_id: int | None = None  # DM channels (type 1)
    bot_denied: bool = False  # the bot lacks Send Messages / Attach Files here (403 Missing Permissions, 50013)
    denied: dict[int, int] = field(default_factory=dict)  # member permission overwrites: user id -> denied bits

    @property
    def is_thread(self) -> bool:
        return self.type in (10, 11, 12)


@dataclass
class StoredFile:
    """An attachment's bytes and its Discord attachment object (`meta`, with `url` on the stand-in's CDN)."""

    id: int
    filename: str
    content_type: str | None
    data: bytes
    meta: dict[str, Any]

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Message:
    """A message as a member would see it; `edits` keeps every payload that changed it, oldest first."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[StoredFile] = field(default_factory=list)
    flags: int = 0
    nonce: str | None = None
    type: int = 0
    interaction_id: int | None = None
    webhook_id: int | None = None
    created_at: float = field(default_factory=time.monotonic)
    edited_at: float | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    edit_times: list[float] = field(default_factory=list)  # time.monotonic() of each edit (throttling checks)
    deleted: bool = False
    thread_id: int | None = None
    reactions: dict[str, list[int]] = field(default_factory=dict)  # emoji -> user ids, in order
    allowed_mentions: dict[str, Any] | None = None  # as sent (create, or the latest edit that carried one)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred ("thinking…") response that has not been edited yet."""
        return bool(self.flags & LOADING)

    @property
    def mention_ids(self) -> list[int]:
        """User ids mentioned in the content (`<@id>` / `<@!id>`), in order."""
        return [int(m) for m in _MENTION.findall(self.content)]

    def _allows(self, kind: str) -> tuple[bool, set[int]]:
        """Discord's rule for one kind of mention: (all of them parsed, the ids listed explicitly)."""
        allowed = self.allowed_mentions
        if allowed is None:  # no allowed_mentions: every mention in the content notifies
            return True, set()
        return kind in (allowed.get("parse") or []), {int(x) for x in allowed.get(kind) or []}

    @property
    def pinged_user_ids(self) -> list[int]:
        """Users this message notifies: mentioned in the content and let through by `allowed_mentions`."""
        everything, listed = self._allows("users")
        return [uid for uid in self.mention_ids if everything or uid in listed]

    @property
    def pinged_role_ids(self) -> list[int]:
        """Roles this message notifies (`<@&id>` let through by `allowed_mentions`)."""
        everything, listed = self._allows("roles")
        return [int(r) for r in _ROLE_MENTION.findall(self.content) if everything or int(r) in listed]

    @property
    def pings_everyone(self) -> bool:
        """Whether `@everyone` / `@here` in the content notifies (only with "everyone" in `allowed_mentions.parse`)."""
        return bool(_EVERYONE.search(self.content)) and self._allows("everyone")[0]

    @property
    def pings_anyone(self) -> bool:
        return bool(self.pinged_user_ids or self.pinged_role_ids or self.pings_everyone)

    def _display_texts(self) -> list[str]:
        found: list[str] = []
        stack = list(reversed(self.components))
        while stack:
            comp = stack.pop()
            if comp.get("type") == 10:
                found.append(str(comp.get("content", "")))
            children = list(comp.get("components", []))
            if isinstance(comp.get("accessory"), dict):
                children.append(comp["accessory"])
            stack.extend(reversed(children))
        return found

    @property
    def custom_ids(self) -> list[str]:
        """Every component custom_id on the message (rows flattened), in order."""
        found: list[str] = []
        stack = list(reversed(self.components))
        while stack:
            comp = stack.pop()
            if "custom_id" in comp:
                found.append(comp["custom_id"])
            children = list(comp.get("components", []))
            if isinstance(comp.get("accessory"), dict):
                children.append(comp["accessory"])
            stack.extend(reversed(children))
        return found

    def text(self) -> str:
        """Content, every embed's title/description/fields/footer and components-v2 text displays, one per line."""
        parts = [self.content, *self._display_texts()]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            for f in embed.get("fields", []):
                parts += [f.get("name", ""), f.get("value", "")]
            parts.append(embed.get("footer", {}).get("text", ""))
        return "\n".join(p for p in parts if p)


@dataclass
class Callback:
    """One POST to /interactions/{id}/{token}/callback: `type` 4/5/6/7/9…, `data` as sent."""

    type: int
    data: dict[str, Any]
    at: float

    @property
    def flags(self) -> int:
        return int(self.data.get("flags", 0) or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)


@dataclass
class Interaction:
    """An INTERACTION_CREATE the stand-in sent and everything the bot did with its token."""

    id: int
    token: str
    type: int  # 2 application command, 3 component
    payload: dict[str, Any]
    user_id: int
    guild_id: int | None
    channel_id: int
    created_at: float  # stand-in clock (tokens expire 15 min after this)
    sent_at: float  # time.monotonic() when the event went out
    callbacks: list[Callback] = field(default_factory=list)
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    expired: bool = False
    clicked_message_id: int | None = None

    @property
    def callback(self) -> Callback | None:
        """The first (and only accepted) response."""
        return self.callbacks[0] if self.callbacks else None

    @property
    def ack_latency(self) -> float | None:
        """Seconds from sending INTERACTION_CREATE to the first callback (benchmarks read this)."""
        cb = self.callback
        return None if cb is None else cb.at - self.sent_at

    @property
    def messages(self) -> list[Message]:
        """The original response (if any) then the follow-ups."""
        return ([self.original] if self.original is not None else []) + list(self.followups)


_TOKEN_IN_PATH = re.compile(r"^/(webhooks|interactions)/(\d+)/[^/]+")


def redact(path: str) -> str:
    """The path with any interaction/webhook token replaced, for logs and error messages."""
    return _TOKEN_IN_PATH.sub(r"/\1/\2/<token>", path)


@dataclass
class RequestRecord:
    method: str
    path: str  # relative to the API base, e.g. /channels/1/messages (tokens included: use `safe_path` to show it)
    status: int
    query: dict[str, str]
    at: float = field(default_factory=time.monotonic)

    @property
    def safe_path(self) -> str:
        return redact(self.path)
