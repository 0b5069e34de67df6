"""Attachment checks in the order that costs the least: metadata first, then a capped download, then decoding."""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import discord
from engine.animation import decode_animation, estimate_animation_bytes, frame_count
from engine.encoding import encode_image
from engine.errors import ImageError
from engine.images import ImageLimits, check_declared, check_dimensions, decode_image, read_size

from bot._decode_budget import PixelBudget
from bot.errors import AttachmentRejected

__all__ = ["Normalised", "check_metadata", "download", "normalise", "normalise_content"]

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


STILL_ONLY = "it is animated, and only still images can be used here; post a PNG or JPEG"


async def _reserve_and_run(role: str, data: bytes, limits: ImageLimits, budget: PixelBudget, work: Any) -> Any:
    """Run `work()` in a thread while holding the image's width x height (read from its header) of the bot's one
    decode budget: no pixel is decoded before the budget allows it (animations decode one frame at a time)."""
    try:
        width, height = read_size(data)
        check_dimensions(width, height, limits=limits)
        async with budget.reserve(width * height):
            return await asyncio.to_thread(work)
    except ImageError as exc:
        raise AttachmentRejected(role, exc.message) from exc


async def normalise(
    role: str,
    data: bytes,
    *,
    limits: ImageLimits,
    working_side: int,
    budget: PixelBudget,
    still_only: bool = False,
) -> bytes:
    """Decode untrusted bytes with the hardened decoder (in a thread, under the decode budget) and re-encode them as
    a clean PNG. An animated file gives its first frame, or is refused with `still_only` (e.g. a challenge entry).
    """
    if still_only and await _reserve_and_run(role, data, limits, budget, lambda: frame_count(data, limits=limits)) > 1:
        raise AttachmentRejected(role, STILL_ONLY)
    return await _reserve_and_run(role, data, limits, budget, lambda: _decode_to_png(data, limits, working_side))


@dataclass(frozen=True)
class Normalised:
    """A clean content image: a PNG, or an animated PNG (APNG) with the source's frames, durations and loop."""

    data: bytes = field(repr=False)
    frames: int = 1
    size: tuple[int, int] = (0, 0)  # (w, h) of a frame


def _decode_to_apng(data: bytes, limits: ImageLimits, working_side: int) -> Normalised:
    animation = decode_animation(data, limits=limits, working_side=working_side)
    if len(animation.frames) == 1:
        return Normalised(_decode_to_png(data, limits, working_side), 1, animation.size)
    buf = io.BytesIO()
    first, *rest = animation.frames
    loop = {} if animation.loop is None else {"loop": animation.loop}
    first.save(buf, "PNG", save_all=True, append_images=rest, duration=list(animation.durations), **loop)
    return Normalised(buf.getvalue(), len(animation.frames), animation.size)


async def normalise_content(
    role: str,
    data: bytes,
    *,
    limits: ImageLimits,
    working_side: int,
    budget: PixelBudget,
    size: int,
    upload_limit: int,
) -> Normalised:
    """`normalise` for a content image that may be animated (GIF, WebP, APNG): its frames are kept, as an APNG.

    An animation whose result at `size` px (short side) could not fit `upload_limit` even at the encoder's
    smallest is refused before any work starts.
    """
    out: Normalised = await _reserve_and_run(
        role, data, limits, budget, lambda: _decode_to_apng(data, limits, working_side)
    )
    if out.frames > 1:
        w, h = out.size
        scale = size / min(w, h)
        if estimate_animation_bytes(round(w * scale), round(h * scale), out.frames) > upload_limit:
            raise AttachmentRejected(
                role,
                f"its {out.frames} frames at {size} px would not fit this server's upload limit even at the"
                " smallest encoding; use fewer frames or a smaller size",
            )
    return out
