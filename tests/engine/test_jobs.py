"""`engine.jobs`: plain bytes in, an encoded image and metadata out (CPU, random weights, 32 px)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from engine.errors import Cancelled, EngineError, ImageError
from engine.jobs import JobInput, StepReport, run_style_batch, run_style_job

TINY = {"preset": "fast", "size": 32, "steps": 3, "seed": 5}


def png(color: tuple[int, int, int], size: tuple[int, int] = (48, 40)) -> bytes:
    img = Image.new("RGB", size, color)
    for x in range(0, size[0], 4):  # some structure, so the content loss has something to hold on to
        img.putpixel((x, x % size[1]), (255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


CONTENT, STYLE = png((200, 30, 30)), png((10, 10, 200))


def test_a_job_returns_a_png_with_its_metadata() -> None:
    reports: list[StepReport] = []
    out = run_style_job(CONTENT, [STYLE], TINY, weights="random", device="cpu", on_progress=reports.append)
    img = Image.open(io.BytesIO(out.png))
    assert (out.ext, img.format, img.size) == ("png", "PNG", (38, 32))
    meta = out.meta
    assert (meta["preset"], meta["seed"], meta["steps"], meta["size"]) == ("fast", 5, 3, [38, 32])
    assert (meta["device"], meta["weights"], meta["random_weights"]) == ("cpu", "random", True)
    assert meta["seconds"] >= 0 and any("random" in note for note in meta["notes"])
    assert reports[0].step == 1 and (reports[-1].step, reports[-1].total) == (3, 3)


def test_a_size_over_the_cap_is_clamped() -> None:
    out = run_style_job(CONTENT, [STYLE], {**TINY, "size": 4000}, weights="random", device="cpu", max_size=32)
    assert out.meta["size"] == [38, 32]


def test_should_cancel_stops_the_job_with_cancelled() -> None:
    with pytest.raises(Cancelled):
        run_style_job(CONTENT, [STYLE], TINY, weights="random", device="cpu", should_cancel=lambda: True)


@pytest.mark.parametrize(
    ("content", "styles", "reason"),
    [
        (b"hello, not an image", [STYLE], "content image: "),
        (CONTENT, [STYLE, b"\x89PNG\r\n\x1a\n broken"], "style image 2: "),
        (CONTENT, [], "no style image"),
    ],
)
def test_unusable_images_fail_with_a_one_line_reason_naming_the_image(
    content: bytes, styles: list[bytes], reason: str
) -> None:
    with pytest.raises(ImageError) as info:
        run_style_job(content, styles, TINY, weights="random", device="cpu")
    assert str(info.value).startswith(reason) and "\n" not in str(info.value)


def test_bad_parameters_are_an_engine_error() -> None:
    with pytest.raises(EngineError, match="preset"):
        run_style_job(CONTENT, [STYLE], {**TINY, "preset": "nope"}, weights="random", device="cpu")


def test_a_batch_gives_each_item_its_output_or_its_own_error() -> None:
    items = [
        JobInput(CONTENT, [STYLE], TINY),
        JobInput(b"garbage", [STYLE], TINY),
        JobInput(png((0, 200, 0)), [STYLE], {**TINY, "seed": 6}),
        JobInput(CONTENT, [STYLE], TINY),  # cancelled while the others go on
    ]
    seen: dict[int, int] = {}
    outs = run_style_batch(
        items,
        weights="random",
        device="cpu",
        on_progress=lambda i, r: seen.__setitem__(i, r.step),
        should_cancel=lambda i: i == 3,
    )
    assert isinstance(outs[1], ImageError) and str(outs[1]).startswith("content image: ")
    assert isinstance(outs[3], Cancelled)
    for out in (outs[0], outs[2]):
        assert not isinstance(out, EngineError)
        assert Image.open(io.BytesIO(out.png)).size == (38, 32)
    assert outs[2].meta["seed"] == 6  # type: ignore[union-attr]
    assert seen[0] == 3 and seen[2] == 3 and 1 not in seen and 3 not in seen
