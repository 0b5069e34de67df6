"""A job's instant preview (engine.previews): the real ONNX network on small synthesized images."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from engine import ImageError, InstantModelUnavailable
from engine.previews import instant_preview


def _encoded(size: tuple[int, int], color: tuple[int, int, int], fmt: str = "PNG", **kw: object) -> bytes:
    img = Image.new("RGB", size, color)
    for x in range(0, size[0], 7):  # some structure for the network to work on
        for y in range(size[1]):
            img.putpixel((x, y), (255 - color[0], color[1], 255 - color[2]))
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


CONTENT = _encoded((120, 80), (200, 40, 40))
STYLE = _encoded((64, 64), (30, 160, 220))


def _picture(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_a_gatys_jobs_preview_is_a_jpeg_of_the_jobs_shape_capped_on_the_long_side() -> None:
    data = instant_preview(CONTENT, [STYLE], {"preset": "fast", "size": 512}, max_side=96)
    assert data is not None
    img = _picture(data)
    assert img.format == "JPEG" and max(img.size) == 96
    assert abs(img.width / img.height - 1.5) < 0.05  # the content's aspect


def test_a_small_job_gets_a_preview_of_its_own_size() -> None:
    img = _picture(instant_preview(CONTENT, [STYLE], {"preset": "seed", "size": 40}) or b"")
    assert min(img.size) == 40


def test_an_instant_job_needs_no_preview() -> None:
    assert instant_preview(CONTENT, [STYLE], {"preset": "instant"}) is None


def test_an_animated_contents_preview_is_its_first_frame() -> None:
    frames = [Image.new("RGB", (60, 40), c) for c in ((250, 0, 0), (0, 0, 250))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    img = _picture(instant_preview(buf.getvalue(), [STYLE], {"preset": "fast"}) or b"")
    assert img.format == "JPEG" and img.size == (60, 40)


@pytest.mark.parametrize(
    ("content", "styles", "words"),
    [
        (b"not an image", [STYLE], "content image"),
        (CONTENT, [b"GIF89a broken"], "style image 1"),
        (CONTENT, [], "no style image"),
    ],
)
def test_unusable_inputs_fail_with_a_reason_naming_the_picture(content: bytes, styles: list[bytes], words: str) -> None:
    with pytest.raises(ImageError, match=words):
        instant_preview(content, styles, {"preset": "fast"})


def test_a_missing_model_is_named(tmp_path: Path) -> None:
    with pytest.raises(InstantModelUnavailable, match=str(tmp_path)):
        instant_preview(CONTENT, [STYLE], {"preset": "fast"}, model_dir=tmp_path)
