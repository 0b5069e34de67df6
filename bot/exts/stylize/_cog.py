"""/stylize: check the attachments' metadata (no I/O), acknowledge ephemerally, apply the server's policy, download
and decode, then queue a job and post its public status message."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands
from jobqueue import NewJob, StyleNotFound

from bot._bot import Stylebot
from bot._params import MAX_STRENGTH, MIN_STRENGTH, Options, build_params
from bot._policy import Policy, check_cooldown, load_policy
from bot._submit import submit
from bot.errors import InvalidOption
from bot.exts.stylize._attachments import check_metadata, download, normalise, normalise_content

__all__ = ["Stylize"]

logger = logging.getLogger(__name__)

Interaction = discord.Interaction[Stylebot]


class Stylize(commands.Cog):
    """Members' entry point: paint one image in the style of another."""

    def __init__(self, bot: Stylebot) -> None:
        self.bot = bot
        self._busy = asyncio.Semaphore(bot.config.max_concurrent_requests)

    @app_commands.command(name="stylize", description="Repaint an image in the style of another")
    @app_commands.describe(
        content="The picture to repaint",
        style="The picture whose style to copy (or pick style_name)",
        style_name="One of this server's styles (see /style list)",
        style2="A second style picture to blend with the first",
        style2_name="A second style from this server's library",
        strength="How strongly to apply the style (1 = normal)",
        size="Output size in px (short side)",
        preset="fast: seconds to a minute; seed: slower; instant: about a second, one pass of a trained network",
        preserve_colors="Keep the content picture's colours",
        seed="Same seed and settings give the same picture",
    )
    @app_commands.guild_only()
    async def stylize(
        self,
        interaction: Interaction,
        content: discord.Attachment,
        style: discord.Attachment | None = None,
        style_name: str | None = None,
        style2: discord.Attachment | None = None,
        style2_name: str | None = None,
        strength: app_commands.Range[float, MIN_STRENGTH, MAX_STRENGTH] = 1.0,
        size: app_commands.Range[int, 32, 4096] | None = None,
        preset: Literal["fast", "seed", "instant"] | None = None,
        preserve_colors: bool = False,
        seed: app_commands.Range[int, 0, 2**31 - 1] | None = None,
    ) -> None:
        config = self.bot.config
        picked = [(style, style_name), (style2, style2_name)]  # an attachment wins over a name given beside it
        if style is None and style_name is None:
            raise InvalidOption("style", "attach a style picture, or pick one of this server's styles in style_name")
        roles = ("style image", "second style image")
        files = [("content image", content), *((r, a) for r, (a, _) in zip(roles, picked, strict=True) if a)]
        max_bytes = min(interaction.filesize_limit, config.image_limits.max_bytes)
        for role, attachment in files:
            check_metadata(
                role, attachment, hosts=config.attachment_hosts, limits=config.image_limits, max_bytes=max_bytes
            )
        # Acknowledge before any I/O: every later refusal edits this ephemeral reply, so it stays private.
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._busy:  # a burst queues here, after its acknowledgement, instead of slowing every ack
            policy = await load_policy(self.bot.store, config, interaction.guild_id)
            policy.check_not_blocked(interaction.user.id)
            await check_cooldown(self.bot.store, policy, interaction.user.id)
            options = Options(strength, size, preset, preserve_colors, seed)
            params, notes = build_params(
                options, default_size=config.default_size, policy=policy, default_preset=config.default_preset
            )
            shas, frames = await self._store_images(
                files, max_bytes=max_bytes, policy=policy, size=params["size"], upload_limit=interaction.filesize_limit
            )
            if frames > 1:  # an animated content: one job for all its frames; delivery posts an animation
                params = {**params, "animated": True, "frames": frames}
            stored = iter(shas[1:])
            styles = [next(stored) if a else await self._named(interaction, n) for a, n in picked if a or n]
            new = NewJob(user_id=interaction.user.id, content_sha=shas[0], style_shas=tuple(styles), params=params)
            await submit(interaction, new, policy, notes)

    async def _named(self, interaction: Interaction, name: str | None) -> str:
        """The stored picture of one of this server's styles (library or built-in); raises StyleNotFound."""
        library, guild_id = self.bot.style_library, interaction.guild_id or 0
        if library is None or name is None:
            raise StyleNotFound(guild_id, name or "")
        return await library.resolve(guild_id, name)

    @stylize.autocomplete("style_name")
    @stylize.autocomplete("style2_name")
    async def _style_names(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Served from the library's per-server cache: well inside Discord's 3 s."""
        library = self.bot.style_library
        return await library.choices(interaction.guild_id, current) if library is not None else []

    async def _store_images(
        self, files: list[tuple[str, discord.Attachment]], *, max_bytes: int, policy: Policy, size: int,
        upload_limit: int,
    ) -> tuple[list[str], int]:  # fmt: skip
        """Download, check and store every image (the content may be animated); returns (shas, content frames)."""
        config = self.bot.config
        limits, budget = config.image_limits, self.bot.decode_budget
        working_side = min(limits.working_side, max(1024, 2 * policy.max_size))
        pngs = []
        frames = 1
        for role, attachment in files:  # every image is checked before any is stored
            data = await download(
                self.bot.http_session, role, attachment, max_bytes=max_bytes, time_limit=config.download_timeout
            )
            if role == "content image":
                content = await normalise_content(
                    role,
                    data,
                    limits=limits,
                    working_side=working_side,
                    budget=budget,
                    size=size,
                    upload_limit=upload_limit,
                )
                pngs.append(content.data)
                frames = content.frames
            else:
                pngs.append(await normalise(role, data, limits=limits, working_side=working_side, budget=budget))
        return [await self.bot.store.put_blob(png, "image/png") for png in pngs], frames
