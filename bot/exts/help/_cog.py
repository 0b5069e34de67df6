"""/help: the commands, the size of this server's style library, the limits that apply to the caller, and the
presets, on one ephemeral page."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot._bot import Stylebot
from bot._policy import Policy, load_policy

__all__ = ["Help", "help_embed", "presets"]

Interaction = discord.Interaction[Stylebot]


def presets(tree: app_commands.CommandTree[Any]) -> list[str]:
    """The presets /stylize offers (its `preset` option's choices)."""
    command = tree.get_command("stylize")
    if not isinstance(command, app_commands.Command):
        return []
    option = next((p for p in command.parameters if p.name == "preset"), None)
    return [str(c.value) for c in option.choices] if option is not None else []


def _commands(tree: app_commands.CommandTree[Any]) -> list[str]:
    lines = []
    for command in sorted(tree.get_commands(type=discord.AppCommandType.chat_input), key=lambda c: c.name):
        lines.append(f"`/{command.name}` — {command.description}")
    for menu in tree.get_commands(type=discord.AppCommandType.message):
        lines.append(f"Right-click a message → Apps → **{menu.name}** — paint its picture in a style")
    return lines


def help_embed(
    tree: app_commands.CommandTree[Any], policy: Policy, *, library: tuple[int, int] | None, user_id: int
) -> discord.Embed:
    """`library`: (the server's own styles, built-ins shown) or None when there is no library."""
    embed = discord.Embed(title="What this bot can do here", description="\n".join(_commands(tree))[:4096])
    if library is not None:
        own, builtins = library
        embed.add_field(name="Style library", value=f"{own} server styles + {builtins} built-in (see /style list)")
    cooldown = f"{policy.cooldown_seconds:g} s between pictures" if policy.cooldown_seconds else "no cooldown"
    limits = [
        f"{policy.max_queued_per_user} pictures queued at once",
        cooldown,
        f"output up to {policy.max_size} px (short side)",
    ]
    if policy.max_steps is not None:
        limits.append(f"at most {policy.max_steps} steps")
    if user_id in policy.blocked_users:
        limits = ["a moderator blocked you from using the bot here"]
    embed.add_field(name="Your limits here", value="\n".join(limits), inline=False)
    offered = presets(tree)
    allowed = [p for p in offered if policy.allowed_presets is None or p in policy.allowed_presets]
    embed.add_field(name="Presets", value=", ".join(allowed) or "none", inline=False)
    return embed


class Help(commands.Cog):
    def __init__(self, bot: Stylebot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What this bot can do on this server")
    async def help(self, interaction: Interaction) -> None:
        policy = await load_policy(self.bot.store, self.bot.config, interaction.guild_id)
        library = None
        if interaction.guild_id is not None and self.bot.style_library is not None:
            lib = self.bot.style_library
            own = len(await lib.store.list_styles(interaction.guild_id)) if self.bot.style_store is not None else 0
            library = (own, len(await lib.builtins(interaction.guild_id)))
        embed = help_embed(self.bot.tree, policy, library=library, user_id=interaction.user.id)
        await interaction.response.send_message(embed=embed, ephemeral=True)
