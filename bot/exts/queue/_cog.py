"""/queue …: admin commands. A server's admins act on their own server; the whole queue is the bot owner's.

Hidden from members by default permissions (Manage Server) and checked again at invoke time, because a server can
override default permissions.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands
from engine.budget import PRESET_NAMES
from jobqueue import Job, JobNotFound

from bot._bot import Stylebot
from bot._policy import Policy, check_stricter
from bot.checks import is_bot_owner, is_guild_admin, require_bot_owner
from bot.errors import JobNotVisible, NotAllowed
from bot.exts.queue._render import limits_embed, stats_embed

__all__ = ["QueueAdmin"]

logger = logging.getLogger(__name__)

Interaction = discord.Interaction[Stylebot]
_QUIET = discord.AllowedMentions.none()
PRESETS = PRESET_NAMES
# /queue limits option → the guild setting it changes (in the command's parameter order)
_LIMIT_OPTIONS = {
    "per_member": "max_queued_per_user",
    "per_server": "max_queued_per_guild",
    "cooldown": "cooldown_seconds",
    "max_size": "max_size",
    "max_steps": "max_steps",
}


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class QueueAdmin(commands.GroupCog, group_name="queue", group_description="Run this server's style-transfer queue"):
    def __init__(self, bot: Stylebot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if is_guild_admin(interaction) or await is_bot_owner(interaction):
            return True
        raise NotAllowed("use the queue admin commands", "the Manage Server permission")

    async def _say(self, interaction: Interaction, text: str = "", **kw: Any) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=_QUIET, **kw)

    async def _job_in_reach(self, interaction: Interaction, job_id: int) -> Job:
        try:
            job = await self.bot.store.get(job_id)
        except JobNotFound as exc:
            raise JobNotVisible(job_id) from exc
        if job.guild_id != interaction.guild_id and not await is_bot_owner(interaction):
            raise JobNotVisible(job_id)
        return job

    @app_commands.command(name="status", description="Jobs per state, running jobs, engines, wait and run times")
    async def status(self, interaction: Interaction, scope: Literal["server", "everywhere"] = "server") -> None:
        if scope == "everywhere":
            await require_bot_owner(interaction, "see the whole queue")
        # a server's view names no other server: its own jobs and pause; engines in detail for the bot's owner only
        stats = await self.bot.store.stats(guild_id=None if scope == "everywhere" else interaction.guild_id)
        where, owner = "all servers" if scope == "everywhere" else "here", await is_bot_owner(interaction)
        await self._say(interaction, embed=stats_embed(stats, scope=where, owner=owner))

    @app_commands.command(name="pause", description="Stop starting new jobs (queued jobs wait)")
    async def pause(self, interaction: Interaction, everywhere: bool = False) -> None:
        if everywhere:
            await require_bot_owner(interaction, "pause the whole queue")
        await self.bot.store.pause(None if everywhere else interaction.guild_id)
        logger.info("queue paused (%s) by %s", "everywhere" if everywhere else interaction.guild_id, interaction.user)
        await self._say(interaction, f"Paused {'the whole queue' if everywhere else 'this server'}; jobs wait.")

    @app_commands.command(name="resume", description="Start running queued jobs again")
    async def resume(self, interaction: Interaction, everywhere: bool = False) -> None:
        if everywhere:
            await require_bot_owner(interaction, "resume the whole queue")
        await self.bot.store.resume(None if everywhere else interaction.guild_id)
        await self._say(interaction, f"Resumed {'the whole queue' if everywhere else 'this server'}.")

    @app_commands.command(name="cancel", description="Cancel a job of this server")
    @app_commands.describe(job="The job number (see /jobs or the job's message)")
    async def cancel(self, interaction: Interaction, job: app_commands.Range[int, 1]) -> None:
        found = await self._job_in_reach(interaction, job)
        done = await self.bot.store.cancel(found.id, by=interaction.user.id)
        logger.info("job %d cancelled by admin %s", done.id, interaction.user.id, extra={"job_id": done.id})
        await self._say(interaction, f"Job #{done.id}: {'cancelled' if done.terminal else 'stopping'}.")

    @app_commands.command(name="retry", description="Queue a failed or cancelled job again")
    async def retry(self, interaction: Interaction, job: app_commands.Range[int, 1]) -> None:
        found = await self._job_in_reach(interaction, job)
        done = await self.bot.store.retry(found.id)
        await self._say(interaction, f"Job #{done.id} is queued again.")

    @app_commands.command(name="purge", description="Cancel queued jobs (of one member, or all of this server's)")
    async def purge(self, interaction: Interaction, user: discord.User | None = None, everywhere: bool = False) -> None:
        if everywhere:
            await require_bot_owner(interaction, "purge the whole queue")
        guild_id = None if everywhere else interaction.guild_id
        count = await self.bot.store.purge(guild_id=guild_id, user_id=user.id if user else None)
        whose = f"{user.mention}'s" if user else "all"
        await self._say(interaction, f"Cancelled {count} of {whose} queued jobs{' everywhere' if everywhere else ''}.")

    @app_commands.command(name="limits", description="Show or change this server's limits")
    @app_commands.describe(
        per_member="Queued+running jobs one member may have (at most the bot's own limit)",
        per_server="Queued+running jobs this server may have (at most the bot's own limit)",
        cooldown="Seconds between one member's requests (at least the bot's own cooldown)",
        max_size="Largest output short side in px (at most the bot's own limit)",
        max_steps="Cap on optimisation steps per job (only ever lowers a preset's own)",
        presets="Allowed presets, comma-separated (fast, seed, instant)",
        previews="Show each job's instant preview on its status message while it waits or runs",
    )
    async def limits(
        self,
        interaction: Interaction,
        per_member: app_commands.Range[int, 1, 100] | None = None,
        per_server: app_commands.Range[int, 1, 10_000] | None = None,
        cooldown: app_commands.Range[float, 0, 86_400] | None = None,
        max_size: app_commands.Range[int, 32, 4096] | None = None,
        max_steps: app_commands.Range[int, 1, 10_000] | None = None,
        presets: str | None = None,
        previews: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        given = dict(zip(_LIMIT_OPTIONS, (per_member, per_server, cooldown, max_size, max_steps), strict=True))
        changes: dict[str, Any] = {_LIMIT_OPTIONS[k]: v for k, v in given.items() if v is not None}
        check_stricter(self.bot.config, changes, {field: option for option, field in _LIMIT_OPTIONS.items()})
        if presets is not None:
            chosen = tuple(p for p in PRESETS if p in {x.strip().lower() for x in presets.split(",")})
            changes["allowed_presets"] = chosen or None
        if previews is not None:
            changes["previews"] = previews
        store = self.bot.store
        settings = await store.get_guild_settings(interaction.guild_id)
        if changes:
            settings = await store.update_guild_settings(interaction.guild_id, **changes)
            logger.info("guild %s limits changed by %s: %s", interaction.guild_id, interaction.user.id, changes)
        embed = limits_embed(settings, Policy.build(self.bot.config, settings))
        await self._say(interaction, "Updated." if changes else "", embed=embed)

    @app_commands.command(name="block", description="Stop a member from using the bot on this server")
    async def block(self, interaction: Interaction, user: discord.User) -> None:
        await self._set_blocked(interaction, user, blocked=True)

    @app_commands.command(name="unblock", description="Let a blocked member use the bot again")
    async def unblock(self, interaction: Interaction, user: discord.User) -> None:
        await self._set_blocked(interaction, user, blocked=False)

    async def _set_blocked(self, interaction: Interaction, user: discord.User, *, blocked: bool) -> None:
        assert interaction.guild_id is not None
        store = self.bot.store
        settings = await store.get_guild_settings(interaction.guild_id)
        users = settings.blocked_users | {user.id} if blocked else settings.blocked_users - {user.id}
        await store.update_guild_settings(interaction.guild_id, blocked_users=frozenset(users))
        if blocked:
            await store.purge(guild_id=interaction.guild_id, user_id=user.id)
        logger.info("user %s %s in guild %s", user.id, "blocked" if blocked else "unblocked", interaction.guild_id)
        await self._say(interaction, f"{user.mention} is {'blocked' if blocked else 'unblocked'} on this server.")
