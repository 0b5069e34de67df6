"""The one error handler: every failed command or button answers the member ephemerally with what to do."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot._bot import Stylebot
from bot.exts.errors._messages import describe, unexpected

__all__ = ["ErrorHandler"]

logger = logging.getLogger(__name__)


class ErrorHandler(commands.Cog):
    """Installs itself as the command tree's error handler and listens for `component_error` events."""

    def __init__(self, bot: Stylebot) -> None:
        self.bot = bot
        self._previous: Any = None

    async def cog_load(self) -> None:
        self._previous = self.bot.tree.on_error
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await self.handle(interaction, error)

    @commands.Cog.listener()
    async def on_component_error(self, interaction: discord.Interaction[Any], error: BaseException) -> None:
        await self.handle(interaction, error)

    async def handle(self, interaction: discord.Interaction[Any], error: BaseException) -> None:
        text = describe(error)
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if text is None:
            reference = secrets.token_hex(4)
            logger.error(
                "unexpected error in %s (reference %s)",
                _what(interaction),
                reference,
                exc_info=(type(original), original, original.__traceback__),
            )
            text = unexpected(reference)
            self.bot.count("rejections", "unexpected")
        else:
            self.bot.count("rejections", type(original).__name__)
            logger.info("refused %s: %s", _what(interaction), type(original).__name__)
        await reply(interaction, text)


def _what(interaction: discord.Interaction[Any]) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    custom_id = (interaction.data or {}).get("custom_id", "?")
    return f"component {custom_id}"


async def reply(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer ephemerally whatever state the interaction is in (fresh, deferred ephemerally, or already answered)."""
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True)
        elif interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
            await interaction.edit_original_response(content=text, embed=None, view=None)
        else:
            await interaction.followup.send(text, ephemeral=True)
    except discord.HTTPException as exc:
        logger.warning("could not tell the member about an error (HTTP %s)", exc.status)
