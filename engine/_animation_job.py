"""One animated job for the worker: decode the frames, stylize them coherently, encode an animated GIF or WebP.

Called by `engine.jobs.run_style_job` when the content image has more than one frame. Progress is reported in
frames: `StepReport(step=frames finished, total=frames)`, with the latest finished frame as the preview; a cancel
is checked at every optimisation step (so also between frames).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from engine.animation import decode_animation, encode_animation
from engine.errors import Cancelled, ImageError
from engine.images import ImageLimits

__all__ = ["run_animation_job"]


def run_animation_job(
    content: bytes,
    styles: Sequence[bytes],
    params: dict[str, Any],
    *,
    weights: str,
    device: str,
    max_size: int,
    max_bytes: int,
    limits: ImageLimits,
    on_progress: Callable[[Any], None] | None,
    should_cancel: Callable[[], bool] | None,
) -> Any:
    """Decode, stylize and encode one animated job (blocking); returns an `engine.jobs.JobOutput`."""
    import engine
    from engine._animate import stylize_frames
    from engine._presets import output_shape
    from engine.jobs import JobInput, JobOutput, StepReport, _decode, _png, parse_params, result_meta

    sp = parse_params(params, device=device, max_size=max_size)
    _, style_ts = _decode(JobInput(content, styles, params), limits, max_size)
    try:
        animation = decode_animation(content, limits=limits, working_side=2 * max_size)
    except ImageError as exc:
        raise ImageError(f"content image: {exc}") from exc
    w, h = animation.size
    hw = output_shape(sp, h, w)
    sp = replace(sp, size=min(hw))
    frames = [engine.image_to_tensor(f.resize((hw[1], hw[0]))) for f in animation.frames]
    n = len(frames)

    def progress(_p: Any) -> None:
        if should_cancel is not None and should_cancel():
            raise Cancelled()

    def finished(index: int, image: Any) -> None:
        if on_progress is not None:
            on_progress(StepReport(step=index + 1, total=n, loss=None, preview_png=_png(image)))

    if on_progress is not None:
        on_progress(StepReport(step=0, total=n, loss=None))
    result = stylize_frames(frames, style_ts, sp, weights=weights, on_progress=progress, on_frame=finished)
    limit = params.get("attachment_size_limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        max_bytes = min(max_bytes, limit)
    images = [engine.tensor_to_image(f) for f in result.frames]
    data, ext = encode_animation(images, animation.durations, animation.loop, max_bytes=max_bytes)
    meta = {**result_meta(result, sp, ext), "animated": True, "frames": n}  # content_type: image/gif or image/webp
    return JobOutput(data=data, ext=ext, meta=meta)
