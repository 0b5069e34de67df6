"""Helpers for the stand-in tests: synthesized images, the World bundle, and a miniature discord.py bot."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord
from discord import app_commands
from discord.ext import commands
from PIL import Image

from standin import Guild, Standin, User


def png_bytes(width: int = 48, height: int = 32, color: tuple[int, int, int] = (200, 40, 90)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class World:
    standin: Standin
    guild: Guild
    member: User
    admin: User

    @property
    def channel_id(self) -> int:
        return self.guild.channel_id


class ResultView(discord.ui.View):
    """A persistent view like the bot's (fixed custom ids); pressing "reroll" edits the message (type 7)."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Re-roll", custom_id="job:1:reroll")
    async def reroll(self, interaction: discord.Interaction, button: discord.ui.Button[ResultView]) -> None:
        await interaction.response.edit_message(content=f"re-rolled by {interaction.user.name}", view=None)


class SampleBot(commands.Bot):
    """What the real bot does, in miniature: guild-synced commands, defer, download, follow up with a file."""

    def __init__(self, guild_id: int, *, global_sync: bool = False, intents: discord.Intents | None = None) -> None:
        intents = intents or discord.Intents.default()
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.guild_id = guild_id
        self.global_sync = global_sync
        self.seen: list[discord.Interaction] = []
        self._register()

    def _register(self) -> None:
        @self.tree.command(name="stylize", description="Paint content in the style of style")
        @app_commands.describe(strength="how strong")
        async def stylize(
            interaction: discord.Interaction,
            content: discord.Attachment,
            style: discord.Attachment,
            strength: app_commands.Range[float, 0.0, 2.0] = 1.0,
        ) -> None:
            self.seen.append(interaction)
            await interaction.response.defer(ephemeral=True, thinking=True)
            data = await content.read()
            await interaction.edit_original_response(content=f"checked {content.filename} ({len(data)} bytes)")
            out = discord.File(io.BytesIO(data), filename="result.png")
            await interaction.followup.send(f"strength {strength}", file=out, view=ResultView())

        queue = app_commands.Group(name="queue", description="admin", default_permissions=discord.Permissions(32))

        @queue.command(name="status", description="counts")
        async def status(interaction: discord.Interaction) -> None:
            self.seen.append(interaction)
            allowed = interaction.permissions.manage_guild
            await interaction.response.send_message("ok" if allowed else "refused", ephemeral=not allowed)

        self.tree.add_command(queue)
        self._register_extras()

    def _register_extras(self) -> None:
        @self.tree.command(name="echo", description="answer at once, with a file")
        async def echo(interaction: discord.Interaction, text: str, times: app_commands.Range[int, 1, 3] = 1) -> None:
            await interaction.response.send_message(text * times, file=discord.File(io.BytesIO(b"hi"), "hi.txt"))

        @self.tree.command(name="preset", description="pick a preset")
        async def preset(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.send_message(f"preset {name}")

        @preset.autocomplete("name")
        async def preset_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            names = ["starry", "stained-glass", "mosaic"]
            return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

        @self.tree.command(name="limits", description="edit limits in a modal")
        async def limits(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(LimitsModal())

    async def setup_hook(self) -> None:
        self.add_view(ResultView())
        if self.global_sync:
            await self.tree.sync()
            return
        self.tree.copy_global_to(guild=discord.Object(self.guild_id))
        await self.tree.sync(guild=discord.Object(self.guild_id))


class LimitsModal(discord.ui.Modal, title="Limits"):
    per_user: discord.ui.TextInput[LimitsModal] = discord.ui.TextInput(label="Jobs per user", custom_id="per_user")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"per user: {self.per_user.value}", ephemeral=True)


@contextlib.asynccontextmanager
async def connected(client: discord.Client, token: str) -> AsyncIterator[None]:
    """Log `client` in to the stand-in, connect it to the gateway and wait until it is ready; close it on exit."""
    await client.login(token)
    task = asyncio.create_task(client.connect(reconnect=True))
    try:
        async with asyncio.timeout(10):
            await client.wait_until_ready()
        yield
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


@contextlib.asynccontextmanager
async def running_bot(
    world: World, *, global_sync: bool = False, intents: discord.Intents | None = None
) -> AsyncIterator[SampleBot]:
    bot = SampleBot(world.guild.id, global_sync=global_sync, intents=intents)
    async with connected(bot, world.standin.token):
        yield bot
