"""/style: organisers add, remove and rename styles and hide the built-ins; everyone lists and shows them. The
"Stylize" message command paints a right-clicked picture in a style picked from a select menu; the "Save as style"
button on results and challenges (`_save`) adds their style picture to the library.

Organiser commands are checked when invoked (Manage Server, the challenge organiser role, or the bot's owner) and a
refusal is private (the error handler answers ephemerally). Every reply here is ephemeral; the job's status message
is public, as for /stylize.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from jobqueue import NewJob, StyleNotFound

from bot._bot import Stylebot
from bot._params import Options, build_params
from bot._policy import check_cooldown, load_policy
from bot._submit import submit
from bot.checks import is_organiser
from bot.errors import InvalidOption, NotAllowed
from bot.exts.styles._builtins import builtin_named, reserved_keys
from bot.exts.styles._images import Picture, check_picture, image_in, store_content, store_picture
from bot.exts.styles._library import StyleLibrary
from bot.exts.styles._names import clean_name
from bot.exts.styles._picker import LAST, StylePicker
from bot.exts.styles._render import (
    GALLERY_PAGE,
    QUIET,
    Entry,
    entry_for_builtin,
    entry_for_style,
    gallery,
    style_embed,
)
from bot.exts.styles._save import SaveStyleButton, StyleSaver

__all__ = ["Styles"]

logger = logging.getLogger(__name__)

Interaction = discord.Interaction[Stylebot]
ORGANISER = "Manage Server or this server's challenge organiser role"
THUMBNAIL_SIDE = 160


class Styles(commands.Cog):
    """A server's style library and the right-click "Stylize" command."""

    style = app_commands.Group(name="style", description="This server's style library", guild_only=True)

    def __init__(self, bot: Stylebot, library: StyleLibrary) -> None:
        self.bot = bot
        self.library = library
        self.menu = app_commands.ContextMenu(name="Stylize", callback=self.stylize_message)
        app_commands.guild_only()(self.menu)
        self.saver = StyleSaver(bot, library)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)
        self.bot.add_dynamic_items(SaveStyleButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SaveStyleButton)
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        """The "Save as style" modal's submit (handled by custom id, so a restart in between loses nothing)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        try:
            await self.saver.submitted(interaction)
        except Exception as exc:  # handed to the error-handler extension, which answers the member
            self.bot.dispatch("component_error", interaction, exc)

    async def _require_organiser(self, interaction: Interaction, action: str) -> None:
        if not await is_organiser(interaction, self.bot.store):
            raise NotAllowed(action, ORGANISER)

    def _guild(self, interaction: Interaction) -> int:
        assert interaction.guild_id is not None  # guild_only
        return interaction.guild_id

    async def names(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self.library.choices(interaction.guild_id, current)

    # organisers ------------------------------------------------------------------------------------------------------
    @style.command(name="add", description="Add a style picture to this server's library (organisers)")
    @app_commands.describe(
        name="A short name, 1-32 characters", image="The style picture", description="What it looks like"
    )
    async def add(
        self,
        interaction: Interaction,
        name: str,
        image: discord.Attachment,
        description: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        await self._require_organiser(interaction, "add styles to this server's library")
        _ = self.library.store  # StylesOff before anything is downloaded
        name = clean_name(name, reserved=reserved_keys())
        check_picture(self.bot, interaction, "style image", image)
        await interaction.response.defer(ephemeral=True, thinking=True)
        side = self.bot.config.image_limits.working_side
        sha = await store_picture(self.bot, interaction, "style image", image, working_side=side)
        user_id = interaction.user.id
        style = await self.library.add(
            self._guild(interaction), name, sha, added_by=user_id, owner_id=user_id, description=description or ""
        )
        await interaction.edit_original_response(
            content=f"Added **{style.name}** to this server's styles. Use it with /stylize style_name:{style.name}.",
            allowed_mentions=QUIET,
        )

    @style.command(name="remove", description="Remove a style from this server's library (organisers)")
    @app_commands.describe(name="The style to remove")
    async def remove(self, interaction: Interaction, name: str) -> None:
        await self._require_organiser(interaction, "remove styles from this server's library")
        if builtin_named(name) is not None:
            raise InvalidOption("name", "built-in styles can't be removed; hide them all with /style builtins")
        style = await self.library.store.remove(self._guild(interaction), name)
        self.library.invalidate(style.guild_id)
        text = f"Removed **{style.name}**. Pictures already queued with it still finish."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=QUIET)

    @style.command(name="rename", description="Rename a style of this server's library (organisers)")
    @app_commands.describe(name="The style to rename", new_name="Its new name, 1-32 characters")
    async def rename(self, interaction: Interaction, name: str, new_name: str) -> None:
        await self._require_organiser(interaction, "rename styles of this server's library")
        new_name = clean_name(new_name, reserved=reserved_keys())
        style = await self.library.store.rename(self._guild(interaction), name, new_name)
        self.library.invalidate(style.guild_id)
        await interaction.response.send_message(f"Renamed to **{style.name}**.", ephemeral=True, allowed_mentions=QUIET)

    @style.command(name="builtins", description="Show or hide the built-in styles on this server (organisers)")
    @app_commands.describe(visible="Whether members can pick the built-in paintings")
    async def builtins(self, interaction: Interaction, visible: bool) -> None:
        await self._require_organiser(interaction, "show or hide the built-in styles")
        guild_id = self._guild(interaction)
        await self.library.store.set_builtins_hidden(guild_id, not visible)
        self.library.invalidate(guild_id)
        text = "The built-in styles are shown." if visible else "The built-in styles are hidden on this server."
        await interaction.response.send_message(text, ephemeral=True)

    # everyone --------------------------------------------------------------------------------------------------------
    @style.command(name="list", description="This server's styles, with their pictures")
    @app_commands.describe(page="Which page of the gallery")
    async def list_(self, interaction: Interaction, page: app_commands.Range[int, 1, 1000] = 1) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = self._guild(interaction)
        own = await self.library.store.list_styles(guild_id) if self.bot.style_store is not None else []
        builtins = await self.library.builtins(guild_id)
        total = len(own) + len(builtins)
        pages = max(1, math.ceil(total / GALLERY_PAGE))
        page = min(page, pages)
        chosen = [*own, *builtins][(page - 1) * GALLERY_PAGE :][:GALLERY_PAGE]
        entries = [await self._entry(item, THUMBNAIL_SIDE) for item in chosen]
        embeds, files = gallery(entries, page, pages, total)
        if not embeds:
            await interaction.edit_original_response(content="This server has no styles yet: add one with /style add.")
            return
        await interaction.edit_original_response(embeds=embeds, attachments=files, allowed_mentions=QUIET)

    @style.command(name="show", description="One style of this server, with its picture")
    @app_commands.describe(name="The style to show")
    async def show(self, interaction: Interaction, name: str) -> None:
        guild_id = self._guild(interaction)
        builtin = builtin_named(name)
        if builtin is not None and builtin in await self.library.builtins(guild_id):
            item: Any = builtin
        elif self.bot.style_store is not None:
            item = await self.bot.style_store.get(guild_id, name)
        else:
            raise StyleNotFound(guild_id, name)
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed, file = style_embed(await self._entry(item, self.bot.config.default_size))
        await interaction.edit_original_response(embed=embed, attachments=[file], allowed_mentions=QUIET)

    async def _entry(self, item: Any, side: int) -> Entry:
        """A gallery card; the picture downscaled through the bot's decode budget."""
        from bot.exts.stylize._attachments import normalise

        if hasattr(item, "painter"):
            png, make = await self.library.builtin_png(item), entry_for_builtin
        else:
            png, make = await self.bot.store.get_blob(item.sha), entry_for_style
        limits, budget = self.bot.config.image_limits, self.bot.decode_budget
        small = await normalise("style image", png, limits=limits, working_side=side, budget=budget)
        return make(item, small)

    remove.autocomplete("name")(names)
    rename.autocomplete("name")(names)
    show.autocomplete("name")(names)

    # right-click → Apps → Stylize ------------------------------------------------------------------------------------
    async def stylize_message(self, interaction: Interaction, message: discord.Message) -> None:
        """Offer the server's styles for the message's picture; the pick queues a job (`_queue_picked`)."""
        picture = image_in(message)
        check_picture(self.bot, interaction, "picture", picture)
        guild_id = self._guild(interaction)
        policy = await load_policy(self.bot.store, self.bot.config, guild_id)
        policy.check_not_blocked(interaction.user.id)
        names = await self.library.names(guild_id)
        has_last = await self.library.last_style(interaction.user.id, guild_id) is not None
        if not names and not has_last:
            raise StyleNotFound(guild_id, "")

        async def chosen(picked: discord.Interaction[Any], value: str) -> None:
            await self._queue_picked(picked, picture, message.author.id, value)

        view = StylePicker(interaction.user.id, names, has_last=has_last, chosen=chosen)
        await interaction.response.send_message(
            f"Which style should {message.author.mention}'s picture be painted in?",
            view=view,
            ephemeral=True,
            allowed_mentions=QUIET,
        )

    async def _queue_picked(self, interaction: Interaction, picture: Picture, author_id: int, value: str) -> None:
        """As /stylize does: acknowledge privately, apply the policy, store the picture, queue, post the status."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, user_id = self._guild(interaction), interaction.user.id
        policy = await load_policy(self.bot.store, self.bot.config, guild_id)
        policy.check_not_blocked(user_id)
        await check_cooldown(self.bot.store, policy, user_id)
        params, notes = build_params(Options(), default_size=self.bot.config.default_size, policy=policy)
        if value == LAST:
            style_sha = await self.library.last_style(user_id, guild_id)
            if style_sha is None:
                raise StyleNotFound(guild_id, "your last style")
        else:
            style_sha = await self.library.resolve(guild_id, value.removeprefix("name:"))
        side = min(self.bot.config.image_limits.working_side, max(1024, 2 * policy.max_size))
        size = params["size"]
        content_sha, frames = await store_content(self.bot, interaction, picture, working_side=side, size=size)
        if frames > 1:  # an animated picture: one job for all its frames, as /stylize queues it
            params = {**params, "animated": True, "frames": frames}
        if author_id != user_id and self.bot.style_store is not None:  # their picture stays theirs (/forget)
            await self.bot.style_store.record_owner(content_sha, author_id)
        await submit(
            interaction,
            NewJob(user_id=user_id, content_sha=content_sha, style_shas=(style_sha,), params=params),
            policy,
            notes,
        )
