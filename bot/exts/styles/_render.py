"""Embeds of the style library: the paged gallery (/style list) and one style (/style show)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import discord
from jobqueue import Style

from bot.exts.styles._builtins import Builtin

__all__ = ["GALLERY_PAGE", "QUIET", "Entry", "entry_for_builtin", "entry_for_style", "gallery", "style_embed"]

GALLERY_PAGE = 10  # Discord's cap on embeds (and the files they show) per message
QUIET = discord.AllowedMentions.none()


@dataclass(frozen=True)
class Entry:
    """One gallery card: a library style or a built-in, with its thumbnail's PNG."""

    name: str
    detail: str
    png: bytes


def entry_for_style(style: Style, png: bytes) -> Entry:
    description = style.description or "No description."
    return Entry(style.name, f"{description}\nAdded by <@{style.added_by}>", png)


def entry_for_builtin(builtin: Builtin, png: bytes) -> Entry:
    return Entry(builtin.name, f"Built-in: {builtin.credit}", png)


def gallery(entries: list[Entry], page: int, pages: int, total: int) -> tuple[list[discord.Embed], list[discord.File]]:
    """One page of cards, each embed with its picture as a thumbnail (an attached file)."""
    embeds, files = [], []
    for n, entry in enumerate(entries):
        filename = f"style{n}.png"
        embed = discord.Embed(title=entry.name, description=entry.detail[:4096])
        embed.set_thumbnail(url=f"attachment://{filename}")
        embeds.append(embed)
        files.append(discord.File(io.BytesIO(entry.png), filename))
    if embeds:
        embeds[-1].set_footer(text=f"Page {page}/{pages} · {total} styles · /style list page:<n> for more")
    return embeds, files


def style_embed(entry: Entry) -> tuple[discord.Embed, discord.File]:
    embed = discord.Embed(title=entry.name, description=entry.detail[:4096])
    embed.set_image(url="attachment://style.png")
    return embed, discord.File(io.BytesIO(entry.png), "style.png")
