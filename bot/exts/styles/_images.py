"""Pictures for the library and the right-click command: the same checks, download cap and decode budget as
/stylize (`bot.exts.stylize._attachments`), for an attachment or an image embed's proxied copy."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import discord

from bot._bot import Stylebot
from bot.errors import NoImageInMessage
from bot.exts.stylize._attachments import check_metadata, download, normalise, normalise_content

__all__ = ["RemoteImage", "check_picture", "image_in", "store_content", "store_picture"]


@dataclass(frozen=True)
class RemoteImage:
    """What an image embed tells about its picture, shaped like a `discord.Attachment` for the shared checks. The
    URL is Discord's media-proxy copy (`proxy_url`), so the attachment-host allow-list applies to it."""

    url: str
    width: int | None
    height: int | None
    size: int | None = None

    @property
    def content_type(self) -> str | None:
        return mimetypes.guess_type(urlsplit(self.url).path)[0]


Picture = discord.Attachment | RemoteImage


def image_in(message: discord.Message) -> Picture:
    """The message's first image attachment, else its first image embed's proxied picture."""
    for attachment in message.attachments:
        if (attachment.content_type or "").startswith("image/") or attachment.width:
            return attachment
    for embed in message.embeds:
        for media in (embed.image, embed.thumbnail):
            if media.proxy_url:
                return RemoteImage(media.proxy_url, media.width, media.height)
    raise NoImageInMessage(message.id)


def _max_bytes(bot: Stylebot, interaction: discord.Interaction[Any]) -> int:
    return min(interaction.filesize_limit, bot.config.image_limits.max_bytes)


def check_picture(bot: Stylebot, interaction: discord.Interaction[Any], role: str, picture: Picture) -> None:
    """Metadata checks before anything is downloaded (host allow-list, type, declared size and dimensions)."""
    config = bot.config
    max_bytes = _max_bytes(bot, interaction)
    check_metadata(role, picture, hosts=config.attachment_hosts, limits=config.image_limits, max_bytes=max_bytes)  # type: ignore[arg-type]


async def store_picture(
    bot: Stylebot, interaction: discord.Interaction[Any], role: str, picture: Picture, *, working_side: int
) -> str:
    """Download (capped), decode under the bot's one decode budget, store as PNG; the blob's sha."""
    config = bot.config
    max_bytes = _max_bytes(bot, interaction)
    data = await download(bot.http_session, role, picture, max_bytes=max_bytes, time_limit=config.download_timeout)  # type: ignore[arg-type]
    png = await normalise(role, data, limits=config.image_limits, working_side=working_side, budget=bot.decode_budget)
    return await bot.store.put_blob(png, "image/png")


async def store_content(
    bot: Stylebot, interaction: discord.Interaction[Any], picture: Picture, *, working_side: int, size: int
) -> tuple[str, int]:
    """`store_picture` for a picture to stylize, which may be animated (GIF, WebP, APNG: stored as an APNG with
    every frame, refused before any work when its result could not fit the upload limit); (sha, frames)."""
    config = bot.config
    max_bytes = _max_bytes(bot, interaction)
    data = await download(bot.http_session, "picture", picture, max_bytes=max_bytes, time_limit=config.download_timeout)  # type: ignore[arg-type]
    out = await normalise_content(
        "picture", data, limits=config.image_limits, working_side=working_side, budget=bot.decode_budget,
        size=size, upload_limit=interaction.filesize_limit,
    )  # fmt: skip
    return await bot.store.put_blob(out.data, "image/png"), out.frames
