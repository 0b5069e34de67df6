"""The ⭐ Vote button under each gallery entry: persistent (delivery's custom-id scheme), a toggle with live counts."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from delivery.custom_ids import TEMPLATES

from bot.exts.challenge._render import entry_view, vote_button_id

__all__ = ["VoteButton", "press_vote"]

logger = logging.getLogger(__name__)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=re.compile(TEMPLATES["entry"])):
    """Any `sb1:entry:<id>:vote` button, posted before or after a restart."""

    def __init__(self, entry_id: int, action: str = "vote") -> None:
        super().__init__(discord.ui.Button(custom_id=vote_button_id(entry_id), label="Vote"))
        self.entry_id = entry_id
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(int(match["id"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            if self.action != "vote":
                await interaction.response.send_message(
                    "Use `/challenge withdraw` to withdraw an entry.", ephemeral=True
                )
                return
            await press_vote(interaction, self.entry_id)
        except Exception as exc:  # handed to the error-handler extension, which answers the member
            interaction.client.dispatch("component_error", interaction, exc)


async def press_vote(interaction: discord.Interaction[Any], entry_id: int) -> None:
    """Toggle the member's vote, update the count on the button, and tell them privately what happened."""
    cog = interaction.client.get_cog("Challenges")
    if cog is None:
        raise RuntimeError("the challenge extension is not loaded")
    result = await cog.store.toggle_vote(entry_id, interaction.user.id)
    logger.info("entry %s: vote by %s %s", entry_id, interaction.user.id, "added" if result.voted else "removed")
    await interaction.response.edit_message(view=entry_view(entry_id, result.votes))
    text = (
        f"⭐ Your vote for entry #{entry_id} counts. Press again to take it back."
        if result.voted
        else f"Your vote for entry #{entry_id} was taken back."
    )
    await interaction.followup.send(text, ephemeral=True)
