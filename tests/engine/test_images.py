"""engine.images: every odd and bad input, synthesized here (no files from disk)."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import random
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from engine.errors import ImageError
from engine.images import (
    DEFAULT_LIMITS,
    ImageLimits,
    check_declared,
    check_dimensions,
    decode_image,
    limits_table_markdown,
    read_size,
    sniff_format,
)

ROOT = Path(__file__).resolve().parents[2]
RED = (255, 0, 0)


def _encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **params)
    return buf.getvalue()


def _noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))


def _png_header_only(width: int, height: int) -> bytes:
    """A syntactically valid PNG that claims `width` x `height` but carries almost no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _close(actual: tuple[int, ...], expected: tuple[int, ...], tol: int = 6) -> bool:
    return all(abs(a - e) <= tol for a, e in zip(actual, expected, strict=True))


# ------------------------------------------------------------------------------------------------------------ limits


def test_limits_are_one_frozen_table_rendered_for_the_readme() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_LIMITS.max_pixels = 1  # type: ignore[misc]
    table = limits_table_markdown()
    assert "| 25 MiB |" in table and "| 128 MP |" in table and "| 16 px |" in table and "| 4096 px |" in table
    assert len(table.strip().splitlines()) == 2 + len(dataclasses.fields(ImageLimits))
    assert "| 2 MiB |" in limits_table_markdown(ImageLimits(max_bytes=2 * 1024 * 1024))


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        ImageLimits(min_side=0)
    with pytest.raises(ValueError):
        ImageLimits(min_side=64, working_side=32)


# ---------------------------------------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "png"), ("JPEG", "jpeg"), ("GIF", "gif"), ("WEBP", "webp"),
                                           ("BMP", "bmp"), ("TIFF", "tiff")])  # fmt: skip
def test_sniff_format_names_raster_formats(fmt: str, name: str) -> None:
    assert sniff_format(_encode(Image.new("RGB", (20, 20)), fmt)) == name


def test_sniff_format_knows_heic_and_rejects_non_images() -> None:
    assert sniff_format(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic") == "heic"
    for data in (b"", b"<svg/>", b"%PDF-1.7", b"hello", b"\0" * 64):
        assert sniff_format(data) is None


# ----------------------------------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "SVG"),
        (b"<svg width='9000' height='9000'></svg>", "SVG"),
        (b"<!DOCTYPE html><html><head><title>x</title></head></html>", "web page"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"just some words\nin a text file\n", "text file"),
        (bytes(range(256)) * 4, "not a supported image"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64, "HEIC"),
    ],
)
def test_non_images_are_refused_with_a_one_line_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageError) as info:
        decode_image(data)
    message = str(info.value)
    assert reason in message
    assert "\n" not in message and ";" in message  # what is wrong; what to do


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_truncated_files_are_refused(fmt: str) -> None:
    data = _encode(_noise((96, 96)), fmt)
    with pytest.raises(ImageError, match="damaged or incomplete"):
        decode_image(data[: len(data) // 2])


def test_file_over_the_byte_limit_is_refused_before_decoding() -> None:
    data = _encode(_noise((64, 64)), "PNG")
    with pytest.raises(ImageError, match=r"above the .* limit"):
        decode_image(data, limits=ImageLimits(max_bytes=len(data) - 1))


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (12_000, 12_000)])
def test_decompression_bombs_are_refused_without_warnings_or_global_changes(width: int, height: int) -> None:
    before = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning (or any other) may escape
        with pytest.raises(ImageError, match=r"too many pixels|MP limit"):
            decode_image(_png_header_only(width, height))
    assert before == Image.MAX_IMAGE_PIXELS


def test_too_small_and_too_thin_images_are_refused() -> None:
    with pytest.raises(ImageError, match="at least 16 px"):
        decode_image(_encode(Image.new("RGB", (8, 40)), "PNG"))
    with pytest.raises(ImageError, match="10:1"):
        decode_image(_encode(Image.new("RGB", (1100, 100)), "PNG"))


def test_check_dimensions_names_the_size_and_the_limit() -> None:
    check_dimensions(12_000, 8_000, limits=DEFAULT_LIMITS)
    with pytest.raises(ImageError, match=r"16000x9000 \(144 MP\), above the 128 MP limit"):
        check_dimensions(16_000, 9_000, limits=DEFAULT_LIMITS)
    with pytest.raises(ImageError, match="no pixels"):
        check_dimensions(0, 10)


@pytest.mark.parametrize(
    ("content_type", "size", "width", "height", "reason"),
    [
        (None, 1000, 100, 100, "file type is unknown"),
        ("text/html; charset=utf-8", 1000, None, None, "text/html, not an image"),
        ("application/pdf", 1000, None, None, "not an image"),
        ("image/svg+xml", 1000, None, None, "SVG"),
        ("image/heic", 1000, 4032, 3024, "image/heic images are not supported"),
        ("image/png", 11 * 1024 * 1024, 100, 100, "11 MiB, above the 10 MiB limit"),
        ("image/png", 0, 100, 100, "empty"),
        ("image/png", 1000, None, None, "no image dimensions"),
        ("image/jpeg", 1000, 20_000, 10_000, "MP limit"),
        ("image/jpeg", 1000, 10, 10, "at least 16 px"),
    ],
)
def test_check_declared_refuses_bad_attachment_metadata(
    content_type: str | None, size: int, width: int | None, height: int | None, reason: str
) -> None:
    with pytest.raises(ImageError, match=reason):
        check_declared(content_type, size, width, height, limits=DEFAULT_LIMITS, max_bytes=10 * 1024 * 1024)


def test_check_declared_accepts_a_normal_photo() -> None:
    check_declared("image/jpeg", 3_000_000, 4032, 3024, limits=DEFAULT_LIMITS, max_bytes=10 * 1024 * 1024)
    check_declared("IMAGE/WEBP", 3_000_000, 4032, 3024, limits=DEFAULT_LIMITS, max_bytes=None)


# ------------------------------------------------------------------------------------------------- odd, valid inputs


def test_cmyk_jpeg_becomes_rgb() -> None:
    out = decode_image(_encode(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG", quality=95))
    assert out.mode == "RGB" and out.size == (40, 30)
    assert _close(out.getpixel((20, 15)), RED, tol=12)


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (32_896, 128), (65_535, 255)])
def test_16_bit_greyscale_png_is_rescaled_not_clipped(value: int, expected: int) -> None:
    data = _encode(Image.new("I;16", (32, 32), value), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    out = decode_image(data)
    assert out.mode == "RGB"
    assert _close(out.getpixel((3, 3)), (expected,) * 3, tol=1)


def test_8_bit_greyscale_and_1_bit_images_become_rgb() -> None:
    assert decode_image(_encode(Image.new("L", (20, 20), 77), "PNG")).getpixel((1, 1)) == (77, 77, 77)
    assert decode_image(_encode(Image.new("1", (20, 20), 1), "BMP")).getpixel((1, 1)) == (255, 255, 255)


@pytest.mark.parametrize(("mode", "value", "expected"), [("F", 0.5, 128), ("I", 40_000, 156), ("I;16B", 40_000, 156)])
def test_wide_tiff_greyscale_is_rescaled(mode: str, value: float, expected: int) -> None:
    data = _encode(Image.new(mode, (20, 20), value), "TIFF")
    assert Image.open(io.BytesIO(data)).mode == mode
    assert _close(decode_image(data).getpixel((1, 1)), (expected,) * 3, tol=1)


@pytest.mark.parametrize("icc", [ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(), b"junk" * 40])
def test_icc_profiles_are_applied_and_broken_ones_ignored(icc: bytes) -> None:
    out = decode_image(_encode(Image.new("RGB", (20, 20), (10, 120, 200)), "PNG", icc_profile=icc))
    assert _close(out.getpixel((1, 1)), (10, 120, 200), tol=2)


def test_palette_transparency_is_composited_on_white() -> None:
    im = Image.new("P", (32, 32), 1)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0, 0, 255] * 254)
    im.paste(0, (0, 0, 16, 32))  # left half: index 0 = black, declared transparent
    for fmt in ("PNG", "GIF"):
        out = decode_image(_encode(im, fmt, transparency=0))
        assert out.getpixel((4, 4)) == (255, 255, 255), fmt
        assert out.getpixel((24, 4)) == RED, fmt


def test_alpha_is_composited_on_white() -> None:
    im = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    im.paste((255, 0, 0, 255), (16, 0, 32, 16))
    im.paste((0, 0, 0, 128), (0, 16, 16, 32))
    out = decode_image(_encode(im, "PNG"))
    assert out.getpixel((4, 4)) == (255, 255, 255)
    assert out.getpixel((20, 4)) == RED
    assert _close(out.getpixel((4, 20)), (127, 127, 127), tol=2)
    grey_alpha = decode_image(_encode(Image.new("LA", (20, 20), (0, 0)), "PNG"))
    assert grey_alpha.getpixel((1, 1)) == (255, 255, 255)


@pytest.mark.parametrize(("fmt", "params"), [("GIF", {}), ("WEBP", {"lossless": True}), ("PNG", {})])
def test_animated_files_give_their_first_frame(fmt: str, params: dict[str, object]) -> None:
    frames = [Image.new("RGB", (24, 24), colour) for colour in (RED, (0, 255, 0), (0, 0, 255))]
    data = _encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0, **params)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 3  # really animated (APNG for PNG)
    out = decode_image(data)
    assert out.size == (24, 24) and _close(out.getpixel((12, 12)), RED, tol=2)


def test_lossy_webp_decodes() -> None:
    out = decode_image(_encode(Image.new("RGB", (40, 20), (10, 200, 30)), "WEBP", quality=90))
    assert out.size == (40, 20) and _close(out.getpixel((20, 10)), (10, 200, 30), tol=8)


ORIENTATIONS = [(1, (40, 20), (4, 4)), (6, (20, 40), (16, 4)), (3, (40, 20), (36, 16)), (8, (20, 40), (4, 36))]


@pytest.mark.parametrize(("orientation", "size", "red_at"), ORIENTATIONS)
def test_exif_orientation_is_applied(orientation: int, size: tuple[int, int], red_at: tuple[int, int]) -> None:
    im = Image.new("RGB", (40, 20), (255, 255, 255))
    im.paste(RED, (0, 0, 10, 10))  # a red block in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = decode_image(_encode(im, "JPEG", quality=95, exif=exif.tobytes()))
    assert out.size == size
    assert _close(out.getpixel(red_at), RED, tol=30)


def test_large_png_is_downscaled_to_working_side() -> None:
    out = decode_image(_encode(Image.new("RGB", (400, 200), RED), "PNG"), working_side=100)
    assert out.size == (100, 50) and out.getpixel((50, 25)) == RED
    out = decode_image(_encode(Image.new("RGB", (400, 200), RED), "PNG"), limits=ImageLimits(working_side=64))
    assert out.size == (64, 32)


@pytest.fixture(scope="module")
def huge_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12000x8000 (96 MP) flat JPEG: cheap to encode (~1.5 MB), 288 MB if ever decoded at full size."""
    path = tmp_path_factory.mktemp("huge") / "huge.jpg"
    im = Image.new("RGB", (12_000, 8_000), (30, 60, 200))
    im.save(path, format="JPEG", quality=50)
    im.close()
    return path


def test_huge_jpeg_is_downscaled_in_process(huge_jpeg: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = decode_image(huge_jpeg.read_bytes(), working_side=1500)
    assert out.size == (1500, 1000)
    assert _close(out.getpixel((700, 500)), (30, 60, 200), tol=8)


@pytest.mark.parametrize(
    ("working_side", "size", "max_rss_mib"),
    [(None, [4096, 2731], 300), (1024, [1024, 683], 100)],
)
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to read peak memory")
def test_huge_jpeg_is_never_decoded_at_full_size(
    huge_jpeg: Path, working_side: int | None, size: list[int], max_rss_mib: int
) -> None:
    """A full-size decode alone would take 12000 x 8000 x 4 bytes = 366 MiB; the draft decode stays far below.

    VmHWM (not ru_maxrss, which Linux carries across exec from the forking parent) is this process's own peak.
    """
    code = (
        "import json, sys\n"
        "from engine.images import decode_image\n"
        "side = None if sys.argv[2] == 'None' else int(sys.argv[2])\n"
        "out = decode_image(open(sys.argv[1], 'rb').read(), working_side=side)\n"
        "hwm = [line for line in open('/proc/self/status') if line.startswith('VmHWM:')][0].split()[1]\n"
        "print(json.dumps({'size': out.size, 'rss_kib': int(hwm)}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(huge_jpeg), str(working_side)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    result = json.loads(proc.stdout)
    assert result["size"] == size
    assert result["rss_kib"] < max_rss_mib * 1024


def test_read_size_reads_the_header_only_and_refuses_non_images() -> None:
    """A flat 6000 x 4000 PNG is tiny on disk; its size is known without decoding 24 MP."""
    data = _encode(Image.new("L", (6000, 4000)), "PNG")
    assert len(data) < 100 * 1024
    assert read_size(data) == (6000, 4000)
    with pytest.raises(ImageError, match="PDF"):
        read_size(b"%PDF-1.7 ...")
