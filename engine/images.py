"""The one hardened image decoder shared by the CLI, the bot and the worker (results are encoded by `engine.encoding`).

Pillow and the stdlib only: the bot imports this module, so it must never pull in torch.

Every rejection raises `engine.errors.ImageError` with a one-line, lower-case reason that says what is wrong and what
to do; callers prefix it with the file's role ("content image: …"). All limits live in one table, `ImageLimits`
(`DEFAULT_LIMITS`, rendered for the README by `limits_table_markdown()`).

Decompression bombs: this module never changes `PIL.Image.MAX_IMAGE_PIXELS`. It opens each file with the Pillow plugin
class for the sniffed format, which reads only the header, checks the declared size against `ImageLimits.max_pixels`
before any pixel is decoded, and translates Pillow's own hard stop (`DecompressionBombError`, 2 x MAX_IMAGE_PIXELS,
≈179 MP by default) into an `ImageError` as well.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass

from PIL import (
    BmpImagePlugin,
    GifImagePlugin,
    Image,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
    features,
)

from engine._pixels import to_rgb
from engine.errors import ImageError

__all__ = [
    "DEFAULT_LIMITS",
    "ImageLimits",
    "check_declared",
    "check_dimensions",
    "decode_image",
    "limits_table_markdown",
    "read_size",
    "sniff_format",
]

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
_SUPPORTED = "PNG, JPEG, WebP, GIF, BMP or TIFF"


@dataclass(frozen=True)
class ImageLimits:
    """The one table of input-image limits that the CLI, the bot and the worker share."""

    max_bytes: int = 25 * MIB
    """Largest encoded file accepted (the bot additionally applies Discord's per-interaction upload limit)."""
    max_pixels: int = 128_000_000
    """Largest decoded width x height (128 MP); anything above is refused as a likely decompression bomb."""
    min_side: int = 16
    """Smallest width or height; VGG19 needs a few pixels to pool over."""
    max_aspect: float = 10.0
    """Largest long side : short side ratio; beyond it the output would be a sliver or enormous."""
    working_side: int = 4096
    """Long side that larger images are downscaled to while decoding (JPEGs without decoding at full size)."""
    max_frames: int = 48
    """Most frames of an animated content image (GIF, WebP, APNG), read from the headers before decoding."""
    max_animation_pixels: int = 64_000_000
    """Largest declared width x height x frames of an animation, checked before any frame is decoded."""
    max_duration: float = 60.0
    """Longest animation in seconds (the sum of the frames' durations)."""

    def __post_init__(self) -> None:
        sizes = (self.max_bytes, self.max_pixels, self.min_side, self.working_side, self.max_frames)
        if min(*sizes, self.max_animation_pixels) < 1 or self.max_aspect < 1 or self.max_duration <= 0:
            raise ValueError(f"invalid image limits: {self}")
        if self.working_side < self.min_side:
            raise ValueError("working_side must be at least min_side")


DEFAULT_LIMITS = ImageLimits()

_LIMIT_ROWS = (
    ("max_bytes", "file size", lambda v: _fmt_bytes(v)),
    ("max_pixels", "decoded pixels (width x height)", lambda v: f"{v / 1e6:g} MP"),
    ("min_side", "smallest width or height", lambda v: f"{v} px"),
    ("max_aspect", "long side : short side", lambda v: f"{v:g} : 1"),
    ("working_side", "long side after decoding (larger images are downscaled)", lambda v: f"{v} px"),
    ("max_frames", "frames of an animation (GIF, WebP, APNG)", lambda v: f"{v}"),
    ("max_animation_pixels", "width x height x frames of an animation", lambda v: f"{v / 1e6:g} MP"),
    ("max_duration", "length of an animation", lambda v: f"{v:g} s"),
)


def limits_table_markdown(limits: ImageLimits = DEFAULT_LIMITS) -> str:
    """The limits as a Markdown table (for the README); one row per `ImageLimits` field."""
    lines = ["| limit | value | meaning |", "|---|---|---|"]
    docs = {
        "max_bytes": "larger files are refused before decoding; the bot also applies Discord's upload limit",
        "max_pixels": "refused before decoding any pixel (decompression-bomb guard)",
        "min_side": "smaller images are refused",
        "max_aspect": "longer or thinner images are refused",
        "working_side": "JPEGs are decoded at 1/2, 1/4 or 1/8 scale when that suffices",
        "max_frames": "counted from the headers before any frame is decoded",
        "max_animation_pixels": "checked from the headers before any frame is decoded",
        "max_duration": "checked frame by frame while decoding",
    }
    for name, label, fmt in _LIMIT_ROWS:
        lines.append(f"| {label} | {fmt(getattr(limits, name))} | {docs[name]} |")
    return "\n".join(lines) + "\n"


def _fmt_bytes(n: int) -> str:
    if n >= MIB:
        return f"{n / MIB:.1f} MiB".replace(".0 MiB", " MiB")
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} bytes"


# ---------------------------------------------------------------------------------------------------------- sniffing

_ISO_BRANDS = {
    b"avif": "avif",
    b"avis": "avif",
    b"heic": "heic",
    b"heix": "heic",
    b"hevc": "heic",
    b"heim": "heic",
    b"heis": "heic",
    b"mif1": "heic",
    b"msf1": "heic",
}


def sniff_format(data: bytes) -> str | None:
    """The raster format named by the file's magic bytes (`png`, `jpeg`, `gif`, `webp`, `bmp`, `tiff`, `avif`,
    `heic`), or None when the bytes do not start like a raster image."""
    head = bytes(data[:32])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:2] == b"BM" and len(head) >= 26:
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):  # classic and BigTIFF
        return "tiff"
    if head[4:8] == b"ftyp":
        return _ISO_BRANDS.get(head[8:12])
    return None


def _describe_non_image(data: bytes) -> str:
    head = bytes(data[:4096]).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf"):
        return "this is a PDF document, not an image; export the page as PNG or JPEG"
    if b"<svg" in head:
        return "this is an SVG (vector) file, which is not supported; export it as PNG or JPEG"
    if head.startswith((b"<!doctype html", b"<html")) or b"<head" in head[:512]:
        return "this is a web page, not an image; upload the image file itself rather than a link to a page"
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return f"this is a text file, not an image; upload a {_SUPPORTED} image"
    return f"this is not a supported image; upload a {_SUPPORTED} image"


# ------------------------------------------------------------------------------------------------------ size checks


def check_dimensions(width: int, height: int, *, limits: ImageLimits = DEFAULT_LIMITS) -> None:
    """Raise ImageError unless width x height is within `limits` (pixels, smallest side, aspect ratio)."""
    if width < 1 or height < 1:
        raise ImageError(f"the image has no pixels ({width}x{height}); upload a real image")
    pixels = width * height
    if pixels > limits.max_pixels:
        raise ImageError(
            f"the image is {width}x{height} ({pixels / 1e6:.0f} MP), above the {limits.max_pixels / 1e6:g} MP limit;"
            " resize it to a smaller size and upload it again"
        )
    if min(width, height) < limits.min_side:
        raise ImageError(
            f"the image is only {width}x{height} px; it must be at least {limits.min_side} px on each side"
        )
    if max(width, height) / min(width, height) > limits.max_aspect:
        raise ImageError(
            f"the image is {width}x{height}, longer than {limits.max_aspect:g}:1; crop it to a less extreme shape"
        )


# Content types the decoder handles (as browsers and Discord label them).
_DECLARED_TYPES = frozenset(
    "image/" + sub for sub in ("png", "apng", "jpeg", "jpg", "pjpeg", "gif", "webp", "bmp", "x-ms-bmp", "tiff")
)


def check_declared(
    content_type: str | None,
    size_bytes: int | None,
    width: int | None,
    height: int | None,
    *,
    limits: ImageLimits = DEFAULT_LIMITS,
    max_bytes: int | None = None,
) -> None:
    """Check an attachment's metadata before downloading it (content type, size, dimensions); raise ImageError.

    `max_bytes` is the caller's own upload limit (e.g. Discord's per-interaction `attachment_size_limit`); the
    stricter of it and `limits.max_bytes` applies.
    """
    kind = (content_type or "").split(";")[0].strip().lower()
    if not kind:
        raise ImageError(f"the file type is unknown, so it is probably not an image; upload a {_SUPPORTED} image")
    if not kind.startswith("image/"):
        raise ImageError(f"the file is {kind}, not an image; upload a {_SUPPORTED} image")
    if kind == "image/svg+xml":
        raise ImageError("SVG (vector) files are not supported; export it as PNG or JPEG")
    if kind not in _DECLARED_TYPES and not (kind == "image/avif" and features.check("avif")):
        raise ImageError(f"{kind} images are not supported; convert it to PNG or JPEG")
    limit = limits.max_bytes if max_bytes is None else min(limits.max_bytes, max_bytes)
    if size_bytes is not None:
        _check_size(size_bytes, limit)
    if width is None or height is None:
        raise ImageError(f"the file has no image dimensions, so it is probably not an image; upload a {_SUPPORTED}")
    check_dimensions(width, height, limits=limits)


def _check_size(size_bytes: int, limit: int) -> None:
    if size_bytes <= 0:
        raise ImageError("the file is empty; upload the image again")
    if size_bytes > limit:
        raise ImageError(
            f"the file is {_fmt_bytes(size_bytes)}, above the {_fmt_bytes(limit)} limit;"
            " upload a smaller or more compressed version (e.g. JPEG)"
        )


# ---------------------------------------------------------------------------------------------------------- decoding


def _plugin_class(fmt: str) -> type[ImageFile.ImageFile]:
    classes: dict[str, type[ImageFile.ImageFile]] = {
        "png": PngImagePlugin.PngImageFile,
        "jpeg": JpegImagePlugin.JpegImageFile,
        "gif": GifImagePlugin.GifImageFile,
        "webp": WebPImagePlugin.WebPImageFile,
        "bmp": BmpImagePlugin.BmpImageFile,
        "tiff": TiffImagePlugin.TiffImageFile,
    }
    if fmt == "avif" and features.check("avif"):
        from PIL import AvifImagePlugin

        return AvifImagePlugin.AvifImageFile
    if fmt not in classes:
        raise ImageError(f"{fmt.upper()} images are not supported; convert it to PNG or JPEG")
    return classes[fmt]


# Pillow raises these for malformed or truncated data (OSError covers "image file is truncated" and decoder errors).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError, ZeroDivisionError)


def _open(data: bytes, fmt: str) -> ImageFile.ImageFile:
    """Parse only the header with the plugin for `fmt`, so nothing else (EPS, WMF, ...) is ever tried."""
    cls = _plugin_class(fmt)
    try:
        return cls(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ImageError(_bomb_reason()) from exc
    except _DECODE_ERRORS as exc:
        raise _damaged(fmt, exc) from exc


def _bomb_reason() -> str:
    return "the image declares far too many pixels (a possible decompression bomb); upload a smaller image"


def _damaged(fmt: str, exc: BaseException) -> ImageError:
    logger.debug("%s decode failed: %r", fmt, exc)
    return ImageError(f"the {fmt.upper()} file is damaged or incomplete; save or download it again and re-upload it")


def _format_of(data: bytes) -> str:
    """The sniffed format; ImageError naming what the bytes are instead when they are no image we read."""
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageError(_describe_non_image(data))
    return fmt


def read_size(data: bytes) -> tuple[int, int]:
    """(width, height) as the file's header declares them, without decoding a pixel (what decoding would cost);
    raises ImageError for anything `decode_image` would refuse by its format."""
    data = bytes(data)
    im = _open(data, _format_of(data))
    try:
        return im.size
    finally:
        im.close()


def _sniffed(data: bytes, limits: ImageLimits) -> tuple[bytes, str]:
    """The bytes (copied out of any buffer) and their format, after the size check; ImageError for a non-image."""
    data = bytes(data)
    _check_size(len(data), limits.max_bytes)
    return data, _format_of(data)


def decode_image(data: bytes, *, limits: ImageLimits = DEFAULT_LIMITS, working_side: int | None = None) -> Image.Image:
    """Decode untrusted bytes into an RGB image, upright (EXIF orientation applied), alpha composited on white.

    Animated files give their first frame (`engine.animation.decode_animation` gives them all). Images whose long
    side exceeds `working_side` (default `limits.working_side`) are downscaled to it, JPEGs by decoding at reduced
    scale. Raises ImageError (one line).
    """
    data, fmt = _sniffed(data, limits)
    side = limits.working_side if working_side is None else working_side
    if side < 1:
        raise ValueError("working_side must be positive")
    im = _open(data, fmt)
    try:
        check_dimensions(*im.size, limits=limits)
        out = _downscale(_load_upright_rgb(im, fmt, side), side)
        if out is im:  # detach the result from the parser and its buffer
            out = im.copy()
    finally:
        im.close()
    return out


def _load_upright_rgb(im: ImageFile.ImageFile, fmt: str, side: int) -> Image.Image:
    if isinstance(im, JpegImagePlugin.JpegImageFile) and max(im.size) > side:
        scale = side / max(im.size)
        im.draft(None, (max(1, math.ceil(im.size[0] * scale)), max(1, math.ceil(im.size[1] * scale))))
    try:
        im.load()
        ImageOps.exif_transpose(im, in_place=True)  # in place: no second full-size copy
    except Image.DecompressionBombError as exc:
        raise ImageError(_bomb_reason()) from exc
    except _DECODE_ERRORS as exc:
        raise _damaged(fmt, exc) from exc
    return to_rgb(im)


def _downscale(im: Image.Image, side: int) -> Image.Image:
    w, h = im.size
    if max(w, h) <= side:
        return im
    scale = side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
