"""engine.encoding: results fit the upload limit, carry no metadata, and an impossible limit is refused."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from engine.encoding import encode_image
from engine.errors import ImageError
from engine.images import decode_image


def _noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))


def test_encode_keeps_png_when_it_fits() -> None:
    im = Image.new("RGB", (256, 256), (1, 2, 3))
    data, ext = encode_image(im, max_bytes=10 * 1024 * 1024)
    assert ext == "png" and data.startswith(b"\x89PNG")
    assert decode_image(data).getpixel((5, 5)) == (1, 2, 3)


@pytest.mark.parametrize(("prefer", "ext"), [("png", "jpg"), ("jpeg", "jpg"), ("webp", "webp")])
def test_encode_fits_a_noisy_result_under_the_limit(prefer: str, ext: str) -> None:
    im = _noise((384, 256))
    limit = 60_000  # the PNG of this noise is ~295 kB, a q95 JPEG ~150 kB: fitting needs quality steps and downscaling
    data, got = encode_image(im, max_bytes=limit, prefer=prefer)
    assert got == ext and len(data) <= limit
    out = decode_image(data)
    assert out.size[0] / out.size[1] == pytest.approx(1.5, rel=0.02)


def test_encode_writes_no_metadata_and_flattens_alpha() -> None:
    im = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    im.info["exif"] = b"Exif\0\0secret-gps"
    data, ext = encode_image(im, max_bytes=1_000_000)
    assert b"secret-gps" not in data and ext == "png"
    assert Image.open(io.BytesIO(data)).mode == "RGB"
    assert decode_image(data).getpixel((3, 3)) == (255, 255, 255)


def test_encode_refuses_an_impossible_limit() -> None:
    with pytest.raises(ImageError, match="cannot be made smaller"):
        encode_image(_noise((64, 64)), max_bytes=50)
    with pytest.raises(ValueError):
        encode_image(_noise((64, 64)), max_bytes=1000, prefer="gif")
