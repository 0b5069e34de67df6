"""Encoding results to fit an upload limit (Pillow only, like `engine.images`): PNG when it fits, else high-quality
JPEG or WebP, then smaller sizes. No metadata (EXIF, GPS) is ever written.
"""

from __future__ import annotations

import io
import logging
import math

from PIL import Image

from engine._pixels import to_rgb
from engine.errors import ImageError
from engine.images import _fmt_bytes

__all__ = ["CONTENT_TYPES", "encode_image"]

logger = logging.getLogger(__name__)

_LOSSY = {"jpeg": ("JPEG", "jpg"), "webp": ("WEBP", "webp")}
# The media type of every extension a result can have (stills from here, animations from `engine.animation`).
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
_QUALITIES = (95, 90, 85)


def encode_image(img: Image.Image, *, max_bytes: int, prefer: str = "png") -> tuple[bytes, str]:
    """Encode a result to at most `max_bytes`; returns (bytes, file extension without the dot).

    PNG when `prefer="png"` and it fits; otherwise high-quality JPEG (or WebP with `prefer="webp"`) stepping the
    quality down to 85, then downscaling until it fits. No metadata (EXIF, GPS) is ever written.
    """
    if max_bytes < 1:
        raise ValueError("max_bytes must be positive")
    if prefer not in ("png", *_LOSSY):
        raise ValueError(f"prefer must be png, jpeg or webp, not {prefer!r}")
    rgb = to_rgb(img)
    if prefer == "png":
        data = _save(rgb, "PNG", compress_level=6)
        if len(data) <= max_bytes:
            return data, "png"
    fmt, ext = _LOSSY.get(prefer, _LOSSY["jpeg"])
    current = rgb
    while True:
        for quality in _QUALITIES:
            data = _save_lossy(current, fmt, quality)
            if len(data) <= max_bytes:
                if current is not rgb or prefer == "png":
                    logger.info(
                        "re-encoded a %dx%d result as %s q%d at %dx%d (%d bytes, limit %d)",
                        *rgb.size,
                        fmt,
                        quality,
                        *current.size,
                        len(data),
                        max_bytes,
                    )
                return data, ext
        w, h = current.size
        if min(w, h) <= 16:
            raise ImageError(f"the result cannot be made smaller than {_fmt_bytes(max_bytes)}")
        scale = min(0.9, max(0.5, math.sqrt(max_bytes / len(data)) * 0.95))
        current = current.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)


def _save_lossy(im: Image.Image, fmt: str, quality: int) -> bytes:
    if fmt == "JPEG":
        return _save(im, fmt, quality=quality, subsampling=0 if quality >= 90 else 2)
    return _save(im, fmt, quality=quality, method=4)


def _save(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **params)
    return buf.getvalue()
