"""Buttons on status and result messages: cancel, re-roll (new seed), stronger, weaker.

They are persistent: `JobButton` is a `DynamicItem` whose template is delivery's custom-id scheme, registered on
start, so a button posted before a restart (even by the engine's delivery loop) still works afterwards.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from delivery import custom_ids
from delivery.custom_ids import JobAction, job_button_id, template
from discord.ext import commands
from jobqueue import BlobNotFound, Job, JobState, NewJob

from bot._bot import Stylebot
from bot._params import derive_params
from bot._policy import check_cooldown, load_policy
from bot._submit import submit
from bot.checks import can_manage_job
from bot.errors import ButtonOutdated, NotAllowed, NotJobOwner, SourceImagesGone

__all__ = ["Buttons", "JobButton"]

logger = logging.getLogger(__name__)

_NOTES = {
    JobAction.REROLL: "Re-roll of job #{id} with a new seed.",
    JobAction.STRONGER: "Stronger style than job #{id}.",
    JobAction.WEAKER: "Weaker style than job #{id}.",
}


class JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=re.compile(template("job", JobAction))):
    """Any `sb1:job:<id>:<action>` button, whoever posted it and whenever ("save" is the style library's item)."""

    def __init__(self, job_id: int, action: str) -> None:
        super().__init__(discord.ui.Button(custom_id=job_button_id(job_id, action), label=action))
        self.job_id = job_id
        self.action = JobAction(action)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> JobButton:
        return cls(int(match["id"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cog = interaction.client.get_cog(Buttons.__name__)
        try:
            if not isinstance(cog, Buttons):
                raise RuntimeError("the buttons extension is not loaded")
            await cog.press(interaction, self.job_id, self.action)
        except Exception as exc:  # handed to the error-handler extension, which answers the member
            interaction.client.dispatch("component_error", interaction, exc)


class Buttons(commands.Cog):
    def __init__(self, bot: Stylebot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Stylebot]) -> None:
        """A click on one of our buttons whose custom id no longer parses gets an answer, not "interaction failed"."""
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if custom_id.startswith("sb") and ":" in custom_id and custom_ids.parse(custom_id) is None:
            self.bot.dispatch("component_error", interaction, ButtonOutdated(custom_id))

    async def press(self, interaction: discord.Interaction[Stylebot], job_id: int, action: JobAction) -> None:
        job = await self.bot.store.get(job_id)
        if action is JobAction.CANCEL:
            await self._cancel(interaction, job)
        else:
            await self._derive(interaction, job, action)

    async def _cancel(self, interaction: discord.Interaction[Stylebot], job: Job) -> None:
        if not await can_manage_job(interaction, job):
            raise NotAllowed("cancel this job", "its owner or a server admin")
        job = await self.bot.store.cancel(job.id, by=interaction.user.id)
        logger.info("job %d cancelled by %s", job.id, interaction.user.id, extra={"job_id": job.id})
        text = f"Job #{job.id} cancelled." if job.state is JobState.CANCELLED else f"Stopping job #{job.id}…"
        await interaction.response.send_message(text, ephemeral=True)

    async def _derive(self, interaction: discord.Interaction[Stylebot], parent: Job, action: JobAction) -> None:
        """A new job from the owner's own result, in the server where it was made (under today's policy there)."""
        store = self.bot.store
        if parent.guild_id != interaction.guild_id:
            raise NotJobOwner(parent.id, action.value, elsewhere=True)
        if parent.user_id != interaction.user.id:
            raise NotJobOwner(parent.id, action.value, elsewhere=False)
        await interaction.response.defer(ephemeral=True, thinking=True)
        policy = await load_policy(store, self.bot.config, interaction.guild_id)
        policy.check_not_blocked(interaction.user.id)
        await check_cooldown(store, policy, interaction.user.id)
        params = derive_params(parent.params, action.value, policy)
        try:
            for sha in (parent.content_sha, *parent.style_shas):
                await store.get_blob(sha)
        except BlobNotFound as exc:
            raise SourceImagesGone(parent.id) from exc
        new = NewJob(
            user_id=interaction.user.id,
            content_sha=parent.content_sha,
            style_shas=parent.style_shas,
            params=params,
            parent_job_id=parent.id,
        )
        await submit(interaction, new, policy, [_NOTES[action].format(id=parent.id)])
