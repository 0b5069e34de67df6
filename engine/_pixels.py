"""Colour-mode normalisation for `engine.images`: any Pillow mode in, 8-bit sRGB "RGB" out (Pillow only)."""

from __future__ import annotations

import io
import logging

from PIL import Image

from engine.errors import ImageError

try:  # littlecms is optional in Pillow builds; without it ICC profiles are ignored
    from PIL import ImageCms
except ImportError:  # pragma: no cover - depends on the Pillow build
    ImageCms = None  # type: ignore[assignment]

__all__ = ["to_rgb"]

logger = logging.getLogger(__name__)

_WIDE_GREY = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_ALPHA = ("RGBA", "RGBa", "LA", "La", "PA")
_WHITE = (255, 255, 255)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")) if ImageCms is not None else None


def to_rgb(im: Image.Image) -> Image.Image:
    """`im` as 8-bit RGB: 16-bit/32-bit greyscale rescaled (not clipped), palette and colour-key transparency and
    alpha composited on white, CMYK and ICC-tagged images converted to sRGB where the profile is usable."""
    icc = im.info.get("icc_profile")
    if im.mode in _WIDE_GREY:
        return _wide_grey_to_l(im).convert("RGB")
    if im.mode == "1":
        im = im.convert("L")
    if im.mode in _ALPHA or "transparency" in im.info:
        im = _flatten(im)
    if icc and im.mode in ("RGB", "L", "CMYK"):
        converted = _icc_to_srgb(im, icc)
        if converted is not None:
            return converted
    if im.mode == "RGB":
        return im
    try:
        return im.convert("RGB")
    except ValueError as exc:
        raise ImageError(f"the image's colour mode {im.mode} is not supported; save it as ordinary RGB") from exc


def _flatten(im: Image.Image) -> Image.Image:
    """Composite any transparency on white; returns RGB (or L for greyscale with alpha)."""
    rgba = im.convert("RGBA")
    background = Image.new("RGB", rgba.size, _WHITE)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _wide_grey_to_l(im: Image.Image) -> Image.Image:
    """Rescale 16-bit (and 32-bit int / float) greyscale to 0..255 instead of clipping everything above 255."""
    sixteen = im.mode.startswith("I;16")
    if sixteen:
        im = im.convert("I")
    lo, hi = im.getextrema()
    if im.mode == "F":
        scale = 255.0 if hi <= 1.0 else 1.0 if hi <= 255 else 255.0 / 65535 if hi <= 65535 else 255.0 / hi
    elif sixteen:
        scale = 255.0 / 65535
    else:
        scale = 1.0 if hi <= 255 else 255.0 / 65535 if hi <= 65535 else 255.0 / hi
    if lo < 0 and im.mode == "F":
        logger.debug("negative values in a float image are clipped to black")
    if scale != 1.0:
        im = im.point(lambda v: v * scale + 0.5)
    return im.convert("L")


def _icc_to_srgb(im: Image.Image, icc: bytes) -> Image.Image | None:
    """Convert an ICC-tagged image to sRGB; None when the profile is unusable (the caller then converts naively)."""
    if ImageCms is None:
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out = ImageCms.profileToProfile(im, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        logger.debug("ignoring an unusable ICC profile: %s", exc)
        return None
    return out
