"""The public entry points: `stylize`, `stylize_batch`, `compatible` and `seed_objective`."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from engine._convert import normalize, preserve_colors, resize, validate_image_tensor
from engine._device import ALL_LAYERS, SHALLOW_LAYERS, get_model, is_oom, resolve_device, use_bf16
from engine._presets import SEED, get_preset, output_shape, schedule
from engine._run import Job, build_objective, optimise
from engine._types import Progress, StyleParams
from engine._vgg import VGGFeatures
from engine._weights import LoadedWeights, load_weights
from engine.errors import EngineError, OutOfMemory

__all__ = ["StylizeResult", "compatible", "seed_objective", "stylize", "stylize_batch"]

logger = logging.getLogger(__name__)

OOM_SHRINK = 0.75
OOM_MIN_SIDE = 32
Item = tuple[Tensor, Sequence[Tensor], StyleParams]


@dataclass(frozen=True)
class StylizeResult:
    image: Tensor  # (1, 3, H, W) in [0, 1], on the CPU
    seconds: float
    steps: int
    device: str
    weights: str  # "imagenet" | "random" | "file" | "magenta-onnx" (the instant preset: no VGG19)
    random_weights: bool
    size: tuple[int, int]  # (w, h)
    notes: tuple[str, ...] = ()
    final_loss: float = float("nan")


def compatible(a: StyleParams, b: StyleParams) -> bool:
    """Whether two jobs can share a batch (their contents must also resolve to the same output shape)."""
    return (a.preset, a.size, a.steps, a.pooling, _device_or_name(a.device)) == (
        b.preset, b.size, b.steps, b.pooling, _device_or_name(b.device)
    )  # fmt: skip


def _device_or_name(name: str) -> str:
    try:
        return resolve_device(name)
    except EngineError:
        return name


def _validate(index: int, item: Item) -> Job:
    content, styles, params = item
    get_preset(params.preset)
    content = validate_image_tensor(content, "content image")
    styles = [validate_image_tensor(s, f"style image {i + 1}") for i, s in enumerate(styles)]
    if not styles:
        raise EngineError("at least one style image is needed")
    blend = params.style_weights or tuple(1.0 for _ in styles)
    if len(blend) != len(styles):
        raise EngineError(f"{len(blend)} style weights given for {len(styles)} style images")
    if any(w < 0 for w in blend) or sum(blend) <= 0:
        raise EngineError("style weights must be >= 0 and not all 0")
    if params.strength < 0 or params.tv < 0:
        raise EngineError("strength and tv must be >= 0")
    if params.pooling not in ("max", "avg"):
        raise EngineError(f"unknown pooling {params.pooling!r}; choose max or avg")
    if params.time_limit is not None and params.time_limit <= 0:
        raise EngineError("time limit must be positive")
    if params.init not in ("content", "instant"):
        raise EngineError(f"unknown init {params.init!r}; choose content or instant")
    hw = output_shape(params, *content.shape[-2:])
    return Job(index, content, styles, params, tuple(blend), schedule(params, hw))


def _group_key(job: Job) -> tuple[object, ...]:
    p = job.params
    return (p.preset, p.pooling, resolve_device(p.device), tuple((s.hw, s.steps) for s in job.scales))


def _shrunk(job: Job) -> Job | None:
    h, w = job.scales[-1].hw
    short = int(min(h, w) * OOM_SHRINK)
    if short < OOM_MIN_SIDE:
        return None
    params = dataclasses.replace(job.params, size=short)
    note = f"out of memory at {min(h, w)} px, retried at {short} px"
    hw = output_shape(params, *job.content.shape[-2:])
    new = Job(job.index, job.content, job.styles, params, job.blend, schedule(params, hw))
    new.notes = [*job.notes, note]
    return new


def _run_group(jobs: list[Job], loaded: LoadedWeights, on_step: Callable[[Job, Progress], None]) -> list[Job]:
    """Optimise `jobs` as one batch; on out-of-memory split the batch, then retry each job smaller."""
    device = resolve_device(jobs[0].params.device)
    bf16 = use_bf16(device) and jobs[0].params.preset == "fast"  # the seed preset stays fp32, as in the notebook
    pooling = jobs[0].params.pooling

    def models(shallow: bool) -> VGGFeatures:
        return get_model(loaded, pooling, device, bf16, SHALLOW_LAYERS if shallow else ALL_LAYERS)

    started = time.monotonic()
    for job in jobs:
        job.started, job.steps, job.error, job.output = started, 0, None, None
    try:
        optimise(models, jobs, get_preset(jobs[0].params.preset), device, bf16, on_step)
        return jobs
    except Exception as exc:
        if not is_oom(exc):
            raise
        logger.warning("out of memory on %s with %d job(s) at %s", device, len(jobs), jobs[0].scales[-1].hw)
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    if len(jobs) > 1:
        return [done for job in jobs for done in _run_group([job], loaded, on_step)]
    smaller = _shrunk(jobs[0])
    if smaller is None:
        jobs[0].error = OutOfMemory(f"out of memory on {device} even at {min(jobs[0].scales[-1].hw)} px")
        return jobs
    return _run_group([smaller], loaded, on_step)


def _result(job: Job, loaded: LoadedWeights, device: str) -> StylizeResult:
    assert job.output is not None
    image = preserve_colors(job.output, job.content) if job.params.preserve_colors else job.output
    h, w = image.shape[-2:]
    notes = list(job.notes)
    if loaded.random:
        notes.append("random VGG19 weights: not a real style transfer")
    return StylizeResult(
        image=image, seconds=time.monotonic() - job.started, steps=job.steps, device=device, weights=loaded.kind,
        random_weights=loaded.random, size=(w, h), notes=tuple(notes), final_loss=job.loss,
    )  # fmt: skip


def stylize_batch(
    items: Sequence[Item],
    *,
    weights: str = "imagenet",
    on_progress: Callable[[int, Progress], None] | None = None,
    instant_model: str | Path | None = None,
) -> list[StylizeResult | EngineError]:
    """Stylize several jobs, optimising compatible ones as one batch; slot i holds item i's result or error.

    `preset="instant"` items run the feed-forward network (`engine._instant`) from the model folder `instant_model`
    (None: the installed package's), as does the start picture of `init="instant"` items.
    """
    from engine import _instant

    results: list[StylizeResult | EngineError | None] = [None] * len(items)
    groups: dict[tuple[object, ...], list[Job]] = {}
    for index, item in enumerate(items):
        try:
            if item[2].preset == "instant":
                progress = None if on_progress is None else (lambda p, i=index: on_progress(i, p))
                results[index] = _instant.instant_stylize(*item, model_dir=instant_model, on_progress=progress)
                continue
            job = _validate(index, item)
            if job.params.init == "instant":
                job.start = _instant.instant_start(job.content, job.styles, job.params, job.blend, instant_model)
                job.notes.append("started from the instant preset's picture")
            groups.setdefault(_group_key(job), []).append(job)
        except EngineError as exc:
            results[index] = exc
    if not groups:
        return [r if r is not None else EngineError("item was not processed") for r in results]
    try:
        loaded = load_weights(weights)
    except EngineError as exc:
        return [r if r is not None else exc for r in results]

    def on_step(job: Job, progress: Progress) -> None:
        if on_progress is not None:
            on_progress(job.index, progress)

    for jobs in groups.values():
        for job in _run_group(jobs, loaded, on_step):
            device = resolve_device(job.params.device)
            results[job.index] = job.error if job.error is not None else _result(job, loaded, device)
    return [r if r is not None else EngineError("item was not processed") for r in results]


def stylize(
    content: Tensor,
    styles: Sequence[Tensor],
    params: StyleParams,
    *,
    weights: str = "imagenet",
    on_progress: Callable[[Progress], None] | None = None,
    instant_model: str | Path | None = None,
) -> StylizeResult:
    """Stylize one content image with one or more style images; raises the job's EngineError on failure."""
    callback = None if on_progress is None else (lambda _index, progress: on_progress(progress))
    (result,) = stylize_batch(
        [(content, styles, params)], weights=weights, on_progress=callback, instant_model=instant_model
    )
    if isinstance(result, EngineError):
        raise result
    return result


def seed_objective(
    output: Tensor,
    content: Tensor,
    styles: Sequence[Tensor],
    *,
    weights: str = "imagenet",
    style_weights: Sequence[float] | None = None,
    device: str = "cpu",
) -> float:
    """The seed preset's loss (content + 5e6 · style, fp32, max pooling) of `output`, with content and styles
    resized to the output's exact size."""
    output = validate_image_tensor(output, "output image")
    hw = (int(output.shape[-2]), int(output.shape[-1]))
    blend = tuple(style_weights) if style_weights else tuple(1.0 for _ in styles)
    params = StyleParams(preset="seed", style_weights=blend, device=device)
    job = _validate(0, (content, styles, dataclasses.replace(params, size=min(hw))))
    job.scales = [dataclasses.replace(job.scales[-1], hw=hw)]
    device = resolve_device(device)
    model = get_model(load_weights(weights), "max", device)
    objective = build_objective(model, [job], hw, SEED, device, bf16=False)
    with torch.no_grad():
        return float(objective(normalize(resize(output, hw)).to(device))[0])
