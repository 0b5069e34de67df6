"""Animated images (GIF, animated WebP, APNG): header checks, lazy frame-by-frame decoding, and the result encoder.

Pillow and the stdlib only, like `engine.images` (whose hardened opener and `ImageLimits` table it shares): the bot
uses it to check and normalise animated attachments, the worker to decode frames and encode the animated result.

Bombs: the frame count and the logical screen size come from the headers (Pillow's `n_frames` walks the frame
headers without decoding pixels) and are checked against `ImageLimits` (`max_frames`, `max_animation_pixels`) before
any frame is decoded; frames are then decoded one at a time, each downscaled at once, and the running duration is
checked as they come (`max_duration`).

The encoder writes an animated GIF with one global palette (median cut over all frames) and no dithering: error
diffusion crawls between frames, and a screen-fixed (Bayer) pattern does not move with a panning picture, so both
add flicker that the stylization does not have (measured in bench/RESULTS.md, "Animated GIFs"); stylized textures
hide the banding. An animated WebP is written too and kept when it is smaller. Both keep the frame count,
per-frame durations and loop count.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image

from engine._pixels import to_rgb
from engine.errors import ImageError
from engine.images import (
    _DECODE_ERRORS,
    DEFAULT_LIMITS,
    ImageLimits,
    _bomb_reason,
    _check_size,
    _damaged,
    _downscale,
    _fmt_bytes,
    _open,
    _sniffed,
    check_dimensions,
    sniff_format,
)

__all__ = [
    "Animation",
    "check_animation",
    "decode_animation",
    "encode_animation",
    "estimate_animation_bytes",
    "frame_count",
]

logger = logging.getLogger(__name__)

_ANIMATED_FORMATS = ("gif", "webp", "png")
_PALETTE_STEPS = (256, 128, 64)
_WEBP_QUALITIES = (95, 85, 75)  # q95: flicker 0.43x independent on the test pan (q90: 0.48x), still ~1/3 of the GIF
_MIN_SCALE = 0.5  # the encoder shrinks frames to no less than half their side to fit an upload limit
_MIN_BYTES_PER_PIXEL = 0.15  # about the fewest bytes per encoded pixel of a stylized frame (WebP q75)


@dataclass(frozen=True)
class Animation:
    """Decoded RGB frames (all the same size), each frame's duration in ms, and the loop count (0 = forever,
    None = play once, as the source said)."""

    frames: tuple[Image.Image, ...] = field(repr=False)
    durations: tuple[int, ...]
    loop: int | None = 0

    @property
    def size(self) -> tuple[int, int]:
        return self.frames[0].size


def check_animation(width: int, height: int, frames: int, *, limits: ImageLimits = DEFAULT_LIMITS) -> None:
    """Raise ImageError unless an animation of `frames` frames of width x height is within `limits`."""
    if frames > limits.max_frames:
        raise ImageError(
            f"the animation has {frames} frames, above the {limits.max_frames}-frame limit; shorten it or drop frames"
        )
    total = width * height * frames
    if total > limits.max_animation_pixels:
        raise ImageError(
            f"the animation is {frames} frames of {width}x{height} ({total / 1e6:.0f} MP in all), above the"
            f" {limits.max_animation_pixels / 1e6:g} MP limit; make it smaller or shorter"
        )


def frame_count(data: bytes, *, limits: ImageLimits = DEFAULT_LIMITS) -> int:
    """How many frames the file declares (1 for stills and non-animated formats), from its headers only."""
    fmt = sniff_format(data)
    if fmt not in _ANIMATED_FORMATS:
        return 1
    _check_size(len(data), limits.max_bytes)
    im = _open(bytes(data), fmt)
    try:
        return _n_frames(im, fmt)
    finally:
        im.close()


def _n_frames(im: Image.Image, fmt: str) -> int:
    try:
        return max(1, int(getattr(im, "n_frames", 1)))
    except _DECODE_ERRORS as exc:
        raise _damaged(fmt, exc) from exc


def decode_animation(
    data: bytes, *, limits: ImageLimits = DEFAULT_LIMITS, working_side: int | None = None
) -> Animation:
    """Decode untrusted bytes into RGB frames (a still gives one frame); each frame is downscaled to `working_side`
    (default `limits.working_side`) as soon as it is decoded. Raises ImageError (one line)."""
    data, fmt = _sniffed(data, limits)
    side = limits.working_side if working_side is None else working_side
    im = _open(data, fmt)
    try:
        check_dimensions(*im.size, limits=limits)
        n = _n_frames(im, fmt) if fmt in _ANIMATED_FORMATS else 1
        if n == 1:
            from engine.images import decode_image

            return Animation((decode_image(data, limits=limits, working_side=side),), (0,), None)
        check_animation(*im.size, n, limits=limits)
        return _decode_frames(im, fmt, n, side, limits)
    finally:
        im.close()


def _decode_frames(im: Image.Image, fmt: str, n: int, side: int, limits: ImageLimits) -> Animation:
    frames: list[Image.Image] = []
    durations: list[int] = []
    for index in range(n):
        try:
            im.seek(index)
            im.load()
            frame = to_rgb(im)
        except Image.DecompressionBombError as exc:
            raise ImageError(_bomb_reason()) from exc
        except _DECODE_ERRORS as exc:
            raise _damaged(fmt, exc) from exc
        frame = _downscale(frame, side)
        frames.append(frame.copy() if frame is im else frame)
        durations.append(max(0, int(im.info.get("duration", 0) or 0)))
        if sum(durations) > limits.max_duration * 1000:
            raise ImageError(f"the animation runs longer than {limits.max_duration:g} s; trim it to a shorter clip")
    loop = im.info.get("loop")
    return Animation(tuple(frames), tuple(durations), None if loop is None else int(loop))


# ---------------------------------------------------------------------------------------------------------- encoding


def estimate_animation_bytes(width: int, height: int, frames: int) -> int:
    """About the fewest bytes the encoder can fit such an animation in (at its smallest size and quality)."""
    return math.ceil(width * height * frames * _MIN_SCALE**2 * _MIN_BYTES_PER_PIXEL)


def _palette(frames: Sequence[Image.Image], colors: int) -> Image.Image:
    """One palette for every frame: median cut over a montage of all frames (each at most 64 px wide)."""
    thumbs = [f.resize((min(64, f.width), max(1, round(f.height * min(64, f.width) / f.width)))) for f in frames]
    montage = Image.new("RGB", (max(t.width for t in thumbs), sum(t.height for t in thumbs)))
    y = 0
    for thumb in thumbs:
        montage.paste(thumb, (0, y))
        y += thumb.height
    return montage.quantize(colors, method=Image.Quantize.MEDIANCUT)


def _gif(frames: Sequence[Image.Image], durations: Sequence[int], loop: int | None, colors: int) -> bytes:
    palette = _palette(frames, colors)
    quantised = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    buf = io.BytesIO()
    extra = {} if loop is None else {"loop": loop}
    quantised[0].save(
        buf, "GIF", save_all=True, append_images=quantised[1:], duration=list(durations), disposal=1, **extra
    )
    return buf.getvalue()


def _webp(frames: Sequence[Image.Image], durations: Sequence[int], loop: int | None, quality: int) -> bytes:
    buf = io.BytesIO()
    frames[0].save(
        buf, "WEBP", save_all=True, append_images=list(frames[1:]), duration=list(durations),
        loop=1 if loop is None else loop, quality=quality, method=4,
    )  # fmt: skip
    return buf.getvalue()


def encode_animation(
    frames: Sequence[Image.Image], durations: Sequence[int], loop: int | None, *, max_bytes: int,
    prefer: str = "auto",
) -> tuple[bytes, str]:  # fmt: skip
    """Encode frames to at most `max_bytes`; returns (bytes, "gif" or "webp").

    `prefer="auto"` keeps the smaller of the GIF and the WebP, `"gif"`/`"webp"` only that one. When nothing fits,
    fewer colours (GIF) and lower quality (WebP) are tried, then smaller frames (down to half the side).
    """
    if prefer not in ("auto", "gif", "webp"):
        raise ValueError(f"prefer must be auto, gif or webp, not {prefer!r}")
    if not frames or len(frames) != len(durations):
        raise ValueError("one duration per frame is needed")
    rgb = [to_rgb(f) for f in frames]
    scale = 1.0
    while True:
        current = rgb if scale == 1.0 else [_resized(f, scale) for f in rgb]
        for level in range(len(_PALETTE_STEPS)):
            options = []
            if prefer in ("auto", "gif"):
                options.append((_gif(current, durations, loop, _PALETTE_STEPS[level]), "gif"))
            if prefer in ("auto", "webp"):
                options.append((_webp(current, durations, loop, _WEBP_QUALITIES[level]), "webp"))
            data, ext = min(options, key=lambda o: len(o[0]))
            if len(data) <= max_bytes:
                if level or scale < 1.0:
                    logger.info("animation re-encoded as %s (level %d, scale %.2f) to fit %d bytes", ext, level,
                                scale, max_bytes)  # fmt: skip
                return data, ext
        if scale <= _MIN_SCALE:
            raise ImageError(f"the animation cannot be made smaller than {_fmt_bytes(max_bytes)}")
        scale = max(_MIN_SCALE, scale * 0.75)


def _resized(im: Image.Image, scale: float) -> Image.Image:
    size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
    return im.resize(size, Image.Resampling.LANCZOS)
