"""Discord JSON shapes built from the records (only the fields discord.py reads, plus a few that look real)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from standin._records import ADMINISTRATOR, DEFAULT_MEMBER_PERMISSIONS, Channel, Guild, Message, StoredFile, User

__all__ = [
    "ALL_PERMISSIONS",
    "channel_payload",
    "channel_permissions",
    "dm_payload",
    "error_body",
    "guild_payload",
    "iso",
    "member_payload",
    "message_payload",
    "role_payload",
    "user_payload",
]

ALL_PERMISSIONS = (1 << 53) - 1
DISCORD_EPOCH_MS = 1420070400000


def iso(timestamp: float | None = None) -> str:
    when = dt.datetime.now(dt.UTC) if timestamp is None else dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return when.isoformat()


def snowflake_time(snowflake: int) -> float:
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000.0


def error_body(message: str, code: int = 0, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return body


def user_payload(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.name,
        "global_name": user.name,
        "discriminator": "0",
        "avatar": None,
        "bot": user.bot,
        "public_flags": 0,
        "flags": 0,
    }


def effective_permissions(bits: int) -> int:
    return ALL_PERMISSIONS if bits & ADMINISTRATOR else bits


def channel_permissions(guild: Guild, channel: Channel | None, user_id: int) -> int:
    """A member's permissions in a channel: their guild permissions less the channel's (or a thread's parent's)
    member overwrite; Administrator overrides every overwrite, as on Discord."""
    bits = effective_permissions(guild.members.get(user_id, 0))
    if channel is None or bits & ADMINISTRATOR:
        return bits
    return bits & ~channel.denied.get(user_id, 0)


def member_payload(user: User, guild: Guild, *, with_permissions: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user": user_payload(user),
        "nick": None,
        "avatar": None,
        "roles": [str(r) for r in guild.member_roles.get(user.id, [])],
        "joined_at": iso(snowflake_time(guild.id)),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_permissions:
        data["permissions"] = str(effective_permissions(guild.members.get(user.id, 0)))
    return data


def dm_payload(channel: Channel, recipient: User) -> dict[str, Any]:
    return {"id": str(channel.id), "type": 1, "last_message_id": None, "recipients": [user_payload(recipient)]}


def channel_payload(channel: Channel) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(channel.id),
        "type": channel.type,
        "name": channel.name,
        "position": 0,
        "permission_overwrites": [
            {"id": str(uid), "type": 1, "allow": "0", "deny": str(bits)} for uid, bits in channel.denied.items()
        ],
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None if channel.parent_id is None else str(channel.parent_id),
    }
    if channel.guild_id is not None:
        data["guild_id"] = str(channel.guild_id)
    if channel.is_thread:
        data.update(
            owner_id=str(channel.owner_id or 0),
            message_count=0,
            member_count=1,
            thread_metadata={
                "archived": channel.archived,
                "auto_archive_duration": 1440,
                "archive_timestamp": iso(snowflake_time(channel.id)),
                "locked": channel.locked,
            },
        )
    return data


def role_payload(guild: Guild, role_id: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": guild.roles[role_id],
        "permissions": str(guild.role_bits.get(role_id, DEFAULT_MEMBER_PERMISSIONS)),
        "position": 0 if role_id == guild.everyone_role_id else 1,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def guild_payload(guild: Guild, channels: list[Channel], users: dict[int, User]) -> dict[str, Any]:
    roles = [role_payload(guild, role_id) for role_id in guild.roles]
    members = [member_payload(users[uid], guild) for uid in guild.members if uid in users]
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "features": [],
        "mfa_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "unavailable": False,
        "large": False,
        "member_count": len(members),
        "roles": roles,
        "emojis": [],
        "stickers": [],
        "members": members,
        "channels": [channel_payload(c) for c in channels if not c.is_thread],
        "threads": [channel_payload(c) for c in channels if c.is_thread],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "joined_at": iso(snowflake_time(guild.id)),
    }


def attachment_meta(stored: StoredFile) -> dict[str, Any]:
    return dict(stored.meta)


def _emoji(text: str) -> dict[str, Any]:
    name, _, emoji_id = text.partition(":")
    return {"id": emoji_id or None, "name": name}


def message_payload(
    msg: Message, author: User, *, application_id: int, mentioned: dict[int, User] | None = None
) -> dict[str, Any]:
    mentioned = mentioned or {}
    bot_id = application_id  # the bot user shares the application's id
    data: dict[str, Any] = {
        "id": str(msg.id),
        "channel_id": str(msg.channel_id),
        "author": user_payload(author),
        "content": msg.content,
        "timestamp": iso(snowflake_time(msg.id)),
        "edited_timestamp": None if msg.edited_at is None else iso(msg.edited_at),
        "tts": False,
        "mention_everyone": False,
        "mentions": [user_payload(mentioned[uid]) for uid in msg.mention_ids if uid in mentioned],
        "mention_roles": [],
        "attachments": [attachment_meta(a) for a in msg.attachments],
        "embeds": msg.embeds,
        "components": msg.components,
        "pinned": False,
        "reactions": [
            {"emoji": _emoji(e), "count": len(u), "me": bot_id in u, "count_details": {"normal": len(u), "burst": 0}}
            for e, u in msg.reactions.items()
        ],
        "type": msg.type,
        "flags": msg.flags,
    }
    if msg.guild_id is not None:
        data["guild_id"] = str(msg.guild_id)
    if msg.nonce is not None:
        data["nonce"] = msg.nonce
    if msg.webhook_id is not None:
        data["webhook_id"] = str(msg.webhook_id)
        data["application_id"] = str(application_id)
    return data
