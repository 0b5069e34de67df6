"""Reusable permission predicates, and `app_commands.check` decorators built from them.

A server's admins (Manage Server) act on their own server only; the bot's owner (the application owner or team,
plus `BotConfig.owner_ids`) may act on the whole shared queue. Refusals raise `NotAllowed`, which the error-handler
extension turns into an ephemeral reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import ChannelNotUsable, NotAllowed

if TYPE_CHECKING:
    from jobqueue import Job, JobStore

__all__ = [
    "can_manage_job",
    "guild_admin",
    "is_bot_owner",
    "is_guild_admin",
    "is_organiser",
    "require_bot_owner",
    "require_can_post",
]

MEMBER_POST = ("view_channel", "send_messages")

logger = logging.getLogger(__name__)

T = TypeVar("T")


async def is_bot_owner(interaction: discord.Interaction[Any]) -> bool:
    """The application's owner (or a member of its team), or a user listed in the configured owner ids."""
    client = interaction.client
    config = getattr(client, "config", None)
    if config is not None and interaction.user.id in config.owner_ids:
        return True
    if not isinstance(client, commands.Bot):
        return False
    try:
        return await client.is_owner(interaction.user)
    except discord.HTTPException:
        logger.warning("could not fetch the application owner; treating user %s as not the owner", interaction.user.id)
        return False


def is_guild_admin(interaction: discord.Interaction[Any]) -> bool:
    """Invoked inside a server by a member who has Manage Server there (Administrator implies it)."""
    if interaction.guild_id is None:
        return False
    return interaction.permissions.manage_guild


async def can_manage_job(interaction: discord.Interaction[Any], job: Job) -> bool:
    """The job's owner, an admin of the job's own server, or the bot's owner."""
    if interaction.user.id == job.user_id:
        return True
    if job.guild_id is not None and job.guild_id == interaction.guild_id and is_guild_admin(interaction):
        return True
    return await is_bot_owner(interaction)


async def is_organiser(interaction: discord.Interaction[Any], store: JobStore) -> bool:
    """Manage Server, the bot's owner, or a member with this server's organiser role (challenges, style library)."""
    if is_guild_admin(interaction) or await is_bot_owner(interaction):
        return True
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        return False
    role_id = (await store.get_guild_settings(interaction.guild_id)).organiser_role_id
    return role_id is not None and any(role.id == role_id for role in interaction.user.roles)


async def require_bot_owner(interaction: discord.Interaction[Any], action: str) -> None:
    """Raise NotAllowed unless the caller is the bot's owner."""
    if not await is_bot_owner(interaction):
        raise NotAllowed(action, "the bot's owner")


def _missing(have: discord.Permissions, needed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in needed if not getattr(have, name))


def require_can_post(
    interaction: discord.Interaction[Any], target: discord.abc.GuildChannel, *, option: str, bot_needs: tuple[str, ...]
) -> None:
    """Raise ChannelNotUsable unless the caller and the bot may both post in `target`, a channel named by `option`.

    The caller's permissions there are those Discord resolved for the channel option (overwrites applied; the cache
    is the fallback); the bot's are its cached ones there, or `app_permissions` when `target` is where it was run.
    """
    if target.id == interaction.channel_id:
        ours = interaction.app_permissions
    else:
        resolved = getattr(interaction.namespace, option, None)
        if isinstance(resolved, app_commands.AppCommandChannel) and resolved.id == target.id:
            theirs = resolved.permissions
        elif isinstance(interaction.user, discord.Member):
            theirs = target.permissions_for(interaction.user)
        else:
            theirs = discord.Permissions.none()
        if missing := _missing(theirs, MEMBER_POST):
            raise ChannelNotUsable(target.id, missing, bot=False)
        me = target.guild.me
        ours = target.permissions_for(me) if me is not None else discord.Permissions.none()
    if missing := _missing(ours, bot_needs):
        raise ChannelNotUsable(target.id, missing, bot=True)


def guild_admin() -> Callable[[T], T]:
    """Invoke-time check for admin commands (on top of their default permissions, which a server may change)."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        if is_guild_admin(interaction) or await is_bot_owner(interaction):
            return True
        raise NotAllowed("use the queue admin commands", "the Manage Server permission")

    return app_commands.check(predicate)
