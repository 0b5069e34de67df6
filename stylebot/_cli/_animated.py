"""`stylebot stylize` for an animated content image (GIF, WebP, APNG): every frame, one coherent animation out."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from stylebot.errors import UsageError

__all__ = ["run_animated"]

logger = logging.getLogger(__name__)

_PREFER = {".gif": "gif", ".webp": "webp"}


def run_animated(args: argparse.Namespace, params: Any, weights: str, data: bytes, styles: list[Any],
                 progress: Any) -> int:  # fmt: skip
    """Stylize every frame of `data` (already known to be animated) and write a .gif or .webp to `args.output`."""
    import dataclasses

    import engine
    from engine.animation import decode_animation, encode_animation
    from engine.errors import ImageError

    prefer = _PREFER.get(args.output.suffix.lower())
    if prefer is None:
        raise UsageError(f"the content image is animated: output {args.output} must end in .gif or .webp")
    try:
        animation = decode_animation(data)
    except ImageError as exc:
        raise UsageError(f"content image {args.content}: {exc}") from None
    w, h = animation.size
    hw = engine.output_shape(params, h, w)
    params = dataclasses.replace(params, size=min(hw))
    frames = [engine.image_to_tensor(f.resize((hw[1], hw[0]))) for f in animation.frames]
    result = engine.stylize_frames(frames, styles, params, weights=weights, on_progress=progress)
    images = [engine.tensor_to_image(f) for f in result.frames]
    out, _ = encode_animation(images, animation.durations, animation.loop, max_bytes=1 << 40, prefer=prefer)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(out)
    for note in result.notes:
        logger.warning("%s", note)
    sys.stdout.write(f"{args.output}\n")
    return 0
