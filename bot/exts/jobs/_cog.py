"""/jobs (the caller's recent jobs) and /forget (delete the caller's stored images and results)."""

from __future__ import annotations

import logging

import discord
from delivery import DiscordPoster
from discord import app_commands
from discord.ext import commands
from jobqueue import Job, JobState

from bot._bot import Stylebot
from bot.exts.jobs._forget import forget, forget_reply

__all__ = ["Jobs", "job_line"]

logger = logging.getLogger(__name__)

RECENT = 10
_ICONS = {
    JobState.QUEUED: "⏳",
    JobState.RUNNING: "🎨",
    JobState.SUCCEEDED: "✅",
    JobState.FAILED: "⚠️",
    JobState.CANCELLED: "✖️",
    JobState.DEAD: "⚠️",
}


def job_line(job: Job) -> str:
    """One line per job: state, age, settings, and a link to its message when there is one."""
    parts = [f"{_ICONS.get(job.state, '•')} **#{job.id}** {job.state.value}"]
    if job.state is JobState.RUNNING and job.progress is not None:
        parts[0] += f" {job.progress.percent}%"
    if job.created_at is not None:
        parts.append(discord.utils.format_dt(job.created_at, "R"))
    parts.append(f"{job.params.get('preset', 'fast')}, strength {job.params.get('strength', 1.0):g}")
    message_id = job.target.status_message_id
    if job.guild_id and job.channel_id and message_id:
        parts.append(f"[message](https://discord.com/channels/{job.guild_id}/{job.channel_id}/{message_id})")
    return " · ".join(parts)


class Jobs(commands.Cog):
    def __init__(self, bot: Stylebot) -> None:
        self.bot = bot

    @app_commands.command(name="jobs", description="Your recent style transfers")
    async def jobs(self, interaction: discord.Interaction[Stylebot]) -> None:
        jobs = await self.bot.store.list_jobs(user_id=interaction.user.id, limit=RECENT)
        if not jobs:
            await interaction.response.send_message("You have no jobs yet. Try /stylize.", ephemeral=True)
            return
        embed = discord.Embed(title="Your recent jobs", description="\n".join(job_line(j) for j in jobs)[:4096])
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="forget", description="Delete your stored images and results")
    async def forget(self, interaction: discord.Interaction[Stylebot]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if self.bot.style_store is not None:  # pictures of theirs that others used: right-clicks, saved styles
            await self.bot.style_store.forget_owner(interaction.user.id)
        result = await forget(self.bot.store, interaction.user.id, DiscordPoster(self.bot))
        logger.info(
            "user %s forgot %d jobs (%d queued cancelled, %d status messages edited, %d running kept)",
            interaction.user.id,
            result.deleted,
            result.cancelled,
            result.retired,
            result.running,
        )
        await interaction.followup.send(forget_reply(result), ephemeral=True)
