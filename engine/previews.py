"""A job's instant preview: the `instant` preset's picture of a Gatys job, shown while the optimisation waits or runs.

    jpeg = engine.previews.instant_preview(content_bytes, [style_bytes], job_params, model_dir=None)

The inputs are the job's stored bytes and its params dict (as `engine.jobs.run_style_job` takes them), decoded by the
same hardened decoder (an animation's first frame); the picture follows the job's strength, style weights and
colour choice, at the job's size capped at `PREVIEW_SIDE` px on the long side, encoded as a JPEG (small enough to
upload with every status edit). Returns None for a job whose own preset is `instant` (its result comes as fast as a
preview would). Errors are the engine's (`ImageError`, `EngineError`, `InstantModelUnavailable`). Blocking: call it
in a thread; the network model is the process-wide cached one (`engine.load_instant_model`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.errors import ImageError
from engine.images import DEFAULT_LIMITS, ImageLimits
from engine.jobs import decode_input, parse_params

__all__ = ["PREVIEW_QUALITY", "PREVIEW_SIDE", "instant_preview"]

PREVIEW_SIDE = 512  # long side of a preview, px
PREVIEW_QUALITY = 85  # JPEG quality: ~30-80 KB at 512 px


def instant_preview(
    content: bytes,
    styles: Sequence[bytes],
    params: dict[str, Any],
    *,
    model_dir: str | Path | None = None,
    device: str = "auto",
    limits: ImageLimits = DEFAULT_LIMITS,
    max_side: int = PREVIEW_SIDE,
) -> bytes | None:
    """The JPEG of the job's instant picture (see the module docstring), or None when the job needs none."""
    from engine._instant import instant_stylize

    if params.get("preset") == "instant":
        return None
    if not styles:
        raise ImageError("no style image given")
    sp = parse_params(params, device=device, max_size=max_side)
    sp = replace(sp, preset="instant", steps=None, tv=0.0, init="content")
    content_img = decode_input(content, "content image", limits, 2 * max_side)
    style_imgs = [decode_input(s, f"style image {n}", limits, 2 * max_side) for n, s in enumerate(styles, 1)]
    result = instant_stylize(content_img, style_imgs, sp, model_dir=model_dir)
    return _jpeg(result.image, max_side)


def _jpeg(image: Any, max_side: int) -> bytes:
    from engine._convert import tensor_to_image

    picture = tensor_to_image(image)
    picture.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    picture.save(buf, format="JPEG", quality=PREVIEW_QUALITY, optimize=True)
    return buf.getvalue()
