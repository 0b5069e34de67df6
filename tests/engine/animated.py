"""Synthesized animated images for the tests (never read from disk): a textured picture panning, as GIF/WebP/APNG."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def panning_frames(n: int = 5, size: tuple[int, int] = (48, 40), step: int = 3, seed: int = 1) -> list[Image.Image]:
    """`n` crops of one picture (stripes and discs) by a window moving `step` px right per frame."""
    w, h = size
    canvas = Image.new("RGB", (w + step * n + 8, h), (30 + 20 * seed % 200, 90, 160))
    draw = ImageDraw.Draw(canvas)
    for x in range(0, canvas.width, 7):
        draw.line([(x, 0), (x + h // 2, h)], fill=(240, 200 - x % 120, 40), width=2)
    for x in range(4, canvas.width, 13):
        draw.ellipse([x, h // 3, x + 8, h // 3 + 8], fill=(20, 160, 90))
    return [canvas.crop((step * t, 0, step * t + w, h)) for t in range(n)]


def animated(frames: list[Image.Image], fmt: str = "GIF", durations: list[int] | None = None,
             loop: int | None = 0) -> bytes:  # fmt: skip
    """`frames` saved as one animated file (GIF, WEBP or PNG = APNG)."""
    buf = io.BytesIO()
    extra = {} if loop is None else {"loop": loop}
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:],
                   duration=durations or [80] * len(frames), **extra)  # fmt: skip
    return buf.getvalue()
