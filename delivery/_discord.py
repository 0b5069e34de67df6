"""`RenderedMessage` → discord.py objects (embed, persistent-style view, files) for the bot and the poster."""

from __future__ import annotations

import io

import discord

from delivery._render import RenderedMessage

__all__ = ["to_embed", "to_files", "to_view"]

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


def to_embed(message: RenderedMessage) -> discord.Embed:
    return discord.Embed.from_dict(message.embed)


def to_view(message: RenderedMessage) -> discord.ui.View | None:
    """A view holding the message's buttons (`None` when it has none). Must be called inside a running event loop.

    The view has no callbacks: clicks are handled by the bot's persistent `DynamicItem`s matching
    `delivery.custom_ids.TEMPLATES`, so they keep working after any restart.
    """
    if not message.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in message.buttons:
        view.add_item(
            discord.ui.Button(
                label=button.label,
                custom_id=button.custom_id,
                style=_STYLES.get(button.style, discord.ButtonStyle.secondary),
                emoji=button.emoji,
                disabled=button.disabled,
            )
        )
    return view


def to_files(message: RenderedMessage) -> list[discord.File]:
    return [discord.File(io.BytesIO(f.data), filename=f.filename) for f in message.files]
