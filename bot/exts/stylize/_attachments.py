"""Attachment checks in the order that costs the least: metadata first, then a capped download, then decoding."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import aiohttp
import discord
from engine.errors import ImageError
from engine.images import ImageLimits, check_declared, check_dimensions, decode_image, encode_image, read_size

from bot._decode_budget import PixelBudget
from bot.errors import AttachmentRejected

__all__ = ["check_metadata", "download", "normalise"]

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024


def check_metadata(
    role: str, attachment: discord.Attachment, *, hosts: tuple[str, ...], limits: ImageLimits, max_bytes: int
) -> None:
    """Reject by what Discord tells us about the file (host, type, size, dimensions), before downloading it."""
    url = urlsplit(attachment.url)
    host = (url.hostname or "").lower()
    if url.scheme not in ("https", "http") or host not in hosts:
        raise AttachmentRejected(role, "it is not hosted on Discord; attach the image file itself to the command")
    try:
        check_declared(
            attachment.content_type,
            attachment.size,
            attachment.width,
            attachment.height,
            limits=limits,
            max_bytes=max_bytes,
        )
    except ImageError as exc:
        raise AttachmentRejected(role, exc.message) from exc


async def download(
    session: aiohttp.ClientSession, role: str, attachment: discord.Attachment, *, max_bytes: int, time_limit: float
) -> bytes:
    """The attachment's bytes, with a time limit and a size cap; no redirects are followed."""
    too_big = AttachmentRejected(
        role, f"the file is larger than the {max_bytes // 1024} KiB limit; upload a smaller one"
    )
    client_timeout = aiohttp.ClientTimeout(total=time_limit, sock_connect=min(5.0, time_limit))
    try:
        async with session.get(attachment.url, timeout=client_timeout, allow_redirects=False) as resp:
            if resp.status != 200:
                logger.info("attachment download answered HTTP %s", resp.status)
                raise AttachmentRejected(role, "it could not be downloaded from Discord; upload it again")
            if resp.content_length is not None and resp.content_length > max_bytes:
                raise too_big
            data = bytearray()
            async for chunk in resp.content.iter_chunked(_CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    raise too_big
    except (aiohttp.ClientError, TimeoutError) as exc:
        logger.info("attachment download failed: %s", type(exc).__name__)
        raise AttachmentRejected(role, "the download from Discord failed or timed out; try again") from exc
    return bytes(data)


def _decode_to_png(data: bytes, limits: ImageLimits, working_side: int) -> bytes:
    image = decode_image(data, limits=limits, working_side=working_side)
    try:
        png, _ = encode_image(image, max_bytes=limits.max_bytes * 4, prefer="png")
    finally:
        image.close()
    return png


async def normalise(role: str, data: bytes, *, limits: ImageLimits, working_side: int, budget: PixelBudget) -> bytes:
    """Decode untrusted bytes with the hardened decoder (in a thread) and re-encode them as a clean PNG, holding the
    image's width x height (from its header) of the bot's one decode budget meanwhile."""
    try:
        width, height = read_size(data)  # the header only: no pixel is decoded before the budget allows it
        check_dimensions(width, height, limits=limits)
        async with budget.reserve(width * height):
            return await asyncio.to_thread(_decode_to_png, data, limits, working_side)
    except ImageError as exc:
        raise AttachmentRejected(role, exc.message) from exc
