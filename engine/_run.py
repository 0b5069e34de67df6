"""The optimisation loop: one group of compatible jobs, optimised together scale by scale.

Everything here is per sample (losses, optimiser state, noise, time limits), so a job's result does not depend on its
batch-mates beyond floating-point noise; a job that is cancelled or times out is dropped from the batch at once.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine._cache import gram_cache
from engine._convert import denormalize, normalize, resize, tensor_hash
from engine._device import autocast, is_oom
from engine._losses import ContentLoss, StyleLoss, TVLoss, gram, style_targets
from engine._optim import Adam, BatchedLBFGS
from engine._presets import Preset, Scale
from engine._types import Progress, StyleParams
from engine._vgg import CONTENT_LAYER, IMAGENET_MEAN, IMAGENET_STD, STYLE_LAYERS, VGGFeatures
from engine.errors import EngineError, JobTimeout

__all__ = ["Job", "Objective", "build_objective", "optimise", "style_grams"]

logger = logging.getLogger(__name__)

PREVIEW_EVERY = 10
NOISE_CELL = 8
PREVIEW_SIDE = 256
LBFGS_HISTORY_BYTES = 2 << 30  # per batch: s and y vectors together


@dataclass
class Job:
    """One item of a batch and what happened to it."""

    index: int
    content: Tensor  # (1, 3, H, W) in [0, 1]
    styles: list[Tensor]
    params: StyleParams
    blend: tuple[float, ...]
    scales: list[Scale]
    started: float = 0.0
    steps: int = 0
    loss: float = math.nan
    output: Tensor | None = None
    error: EngineError | None = None
    notes: list[str] = field(default_factory=list)
    start: Tensor | None = None  # init="instant": the instant picture to start from instead of the content

    @property
    def total_steps(self) -> int:
        return sum(s.steps + s.warmup for s in self.scales)


def style_grams(model: VGGFeatures, style: Tensor, hw: tuple[int, int], device: str, bf16: bool) -> list[Tensor]:
    """Gram matrices (each (1, d, d), fp32) of `style` resized to exactly h x w, cached by image hash + settings."""
    key = (tensor_hash(style), hw, model.pooling, id(model), device, bf16)

    def compute() -> list[Tensor]:
        x = normalize(resize(style.to(device), hw))
        if bf16:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.no_grad(), autocast(device, bf16):
            feats = model(x)
        return [gram(f) for name, f in zip(model.layer_names, feats, strict=True) if name in STYLE_LAYERS]

    return gram_cache.get_or_compute(key, compute)


class Objective(nn.Module):
    """content_weight · content + style_weight · strength · Σ style + tv · TV, one value per sample.

    The terms are those of the model's layers: a model without the content layer (the shallow warm-up) gives a
    style-only objective over its style layers.
    """

    def __init__(
        self, model: VGGFeatures, contents: Tensor, targets: Sequence[Tensor], preset: Preset,
        strengths: Tensor, tvs: Tensor, bf16: bool = False,
    ) -> None:  # fmt: skip
        super().__init__()
        self.model, self.bf16, self.content_weight = model, bf16, preset.content_weight
        self.has_content = CONTENT_LAYER in model.layer_names
        content_features = torch.zeros(contents.shape[0])
        if self.has_content:
            with torch.no_grad(), autocast(str(contents.device), bf16):
                content_features = model(contents)[model.layer_names.index(CONTENT_LAYER)]
        self.content = ContentLoss(content_features)
        style_names = [name for name in model.layer_names if name in STYLE_LAYERS]
        self.styles = nn.ModuleList(StyleLoss(t, STYLE_LAYERS[n]) for t, n in zip(targets, style_names, strict=True))
        self.register_buffer("style_weights", strengths.float() * preset.style_weight)
        self.register_buffer("tvs", tvs.float())
        self.tv = TVLoss()

    def forward(self, x: Tensor) -> Tensor:
        with autocast(str(x.device), self.bf16):
            feats = dict(zip(self.model.layer_names, self.model(x), strict=True))
        style_feats = [f for name, f in feats.items() if name in STYLE_LAYERS]
        total = self.style_weights * sum(loss(f) for loss, f in zip(self.styles, style_feats, strict=True))
        if self.has_content:
            total = total + self.content_weight * self.content(feats[CONTENT_LAYER])
        if bool((self.tvs > 0).any()):
            total = total + self.tvs * self.tv(x.float())
        return total

    def keep(self, rows: Tensor) -> None:
        self.content.target = self.content.target[rows]
        for loss in self.styles:
            loss.target = loss.target[rows]
        self.style_weights = self.style_weights[rows]
        self.tvs = self.tvs[rows]


def _start(jobs: Sequence[Job], hw: tuple[int, int], preset: Preset, device: str) -> Tensor:
    """The first scale's start: the content plus seeded smooth noise (per job, drawn on the CPU, so reproducible).

    The noise is drawn at 1/`NOISE_CELL` of the size and upsampled: blotches that move the composition and colours
    (another seed, a visibly different picture) without the pixel noise that the shallow style layers must undo.
    """
    rows = []
    for job in jobs:
        x = normalize(resize(job.content if job.start is None else job.start, hw))
        if preset.noise > 0:
            gen = torch.Generator().manual_seed(int(job.params.seed))
            small = (max(2, hw[0] // NOISE_CELL), max(2, hw[1] // NOISE_CELL))
            noise = torch.randn((1, 3, *small), generator=gen)
            x = x + preset.noise * F.interpolate(noise, size=hw, mode="bicubic", align_corners=False)
        rows.append(x)
    return torch.cat(rows).to(device)


def build_objective(model: VGGFeatures, jobs: Sequence[Job], hw: tuple[int, int], preset: Preset, device: str,
               bf16: bool) -> Objective:  # fmt: skip
    contents = torch.cat([normalize(resize(job.content, hw)) for job in jobs]).to(device)
    per_job = []
    for job in jobs:
        grams = [style_grams(model, s, hw, device, bf16) for s in job.styles]
        per_job.append([style_targets([g[i] for g in grams], job.blend) for i in range(len(grams[0]))])
    targets = [torch.cat([layers[i] for layers in per_job]) for i in range(len(per_job[0]))]
    strengths = torch.tensor([job.params.strength for job in jobs], device=device)
    tvs = torch.tensor([job.params.tv for job in jobs], device=device)
    if bf16:
        contents = contents.contiguous(memory_format=torch.channels_last)
    return Objective(model, contents, targets, preset, strengths, tvs, bf16).to(device)


def _clamp(x: Tensor) -> Tensor:
    """Project a normalised image back into the valid pixel range [0, 1]."""
    mean = torch.tensor(IMAGENET_MEAN, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return torch.maximum(torch.minimum(x, (1 - mean) / std), -mean / std)


def _history(x: Tensor) -> int:
    return max(5, min(50, LBFGS_HISTORY_BYTES // max(1, 2 * x.numel() * 4)))


def _preview(x: Tensor) -> Tensor:
    img = denormalize(x.detach().float()).clamp(0, 1)
    h, w = img.shape[-2:]
    if max(h, w) > PREVIEW_SIDE:
        scale = PREVIEW_SIDE / max(h, w)
        img = resize(img, (max(1, round(h * scale)), max(1, round(w * scale))))
    return img[0].cpu()


Report = Callable[[Job, Progress], None]


def _report(
    jobs: list[Job], losses: Tensor, x: Tensor, scale: int, last: bool, on_step: Report, warmup: bool = False
) -> list[int]:
    """Tell every job about its step; return the rows whose jobs go on (a raising callback ends only its job)."""
    keep: list[int] = []
    values = losses.detach().float().tolist()
    now = time.monotonic()
    for row, (job, loss) in enumerate(zip(jobs, values, strict=True)):
        job.steps += 1
        job.loss = loss  # the last one reported is the full objective's: the warm-up always comes first
        elapsed = now - job.started
        preview = _preview(x[row : row + 1]) if last or job.steps % PREVIEW_EVERY == 0 else None
        try:
            on_step(job, Progress(job.steps, job.total_steps, loss, elapsed, scale, preview, warmup))
            limit = job.params.time_limit
            if limit is not None and elapsed > limit:
                raise JobTimeout(f"job ran longer than its time limit of {limit:g} s (stopped at step {job.steps})")
        except EngineError as exc:
            job.error = exc
        except Exception as exc:  # a broken callback ends its own job, not the batch
            if is_oom(exc):
                raise
            logger.exception("progress callback failed for item %d", job.index)
            error = EngineError(f"progress callback failed: {exc}")
            error.__cause__ = exc
            job.error = error
        if job.error is None:
            keep.append(row)
    return keep


def _step(objective: Objective, x: Tensor) -> tuple[Tensor, Tensor]:
    x = x.detach().requires_grad_(True)
    losses = objective(x)
    (grad,) = torch.autograd.grad(losses.sum(), x)
    return losses.detach(), grad


Models = Callable[[bool], VGGFeatures]  # shallow? -> the model for that phase


def _phase(
    model: VGGFeatures, jobs: list[Job], x: Tensor, steps: int, index: int, preset: Preset, device: str,
    bf16: bool, on_step: Report, polish: bool = False,
) -> tuple[list[Job], Tensor]:  # fmt: skip
    """`steps` optimiser steps on the objective of `model`'s layers; returns the jobs still going and their x.

    With `polish`, the point after the last step is evaluated too, and a sample keeps its previous point where the
    last (unchecked) L-BFGS step made things worse; each job's `loss` is then its output's objective.
    """
    objective = build_objective(model, jobs, tuple(x.shape[-2:]), preset, device, bf16)  # type: ignore[arg-type]
    opt: Adam | BatchedLBFGS = Adam(preset.lr) if preset.optimizer == "adam" else BatchedLBFGS(preset.lr, _history(x))
    before, losses = x, torch.zeros(x.shape[0], device=x.device)
    for step in range(steps):
        before = x
        losses, grad = _step(objective, x)
        x = opt.step(x.detach(), grad)
        if preset.clamp:
            x = _clamp(x)
        keep = _report(jobs, losses, x, index, step == steps - 1, on_step, CONTENT_LAYER not in model.layer_names)
        if len(keep) < len(jobs):
            jobs = [jobs[i] for i in keep]
            if not jobs:
                break
            rows = torch.tensor(keep, device=x.device)
            x, before, losses = x[rows], before[rows], losses[rows]
            objective.keep(rows)
            opt.keep(rows)
    if polish and jobs and steps:
        with torch.no_grad():
            end = objective(x).detach().float()
        better = end <= losses.float()
        x = torch.where(better.view(-1, 1, 1, 1), x, before)
        for job, value in zip(jobs, torch.minimum(end, losses.float()).tolist(), strict=True):
            job.loss = value
    return jobs, x


def optimise(models: Models, jobs: list[Job], preset: Preset, device: str, bf16: bool, on_step: Report) -> None:
    """Run every scale for `jobs` (same scales); fills each job's output, steps and loss, or its error.

    At each scale an optional warm-up runs first on the style loss of the shallow layers only (a few percent of
    the full pass's cost), then the full objective.
    """
    active = list(jobs)
    x: Tensor | None = None
    for index, scale in enumerate(active[0].scales):
        if x is None:
            x = _start(active, scale.hw, preset, device)
        else:
            x = normalize(resize(denormalize(x).clamp(0, 1), scale.hw))
        if bf16:
            x = x.contiguous(memory_format=torch.channels_last)
        last = index == len(jobs[0].scales) - 1
        for shallow, steps in ((True, scale.warmup), (False, scale.steps)):
            if steps and active:
                polish = last and not shallow and preset.optimizer == "lbfgs"
                active, x = _phase(models(shallow), active, x, steps, index, preset, device, bf16, on_step, polish)
        if not active:
            return
    assert x is not None
    out = denormalize(x.detach().float()).clamp(0, 1).cpu()
    for row, job in enumerate(active):
        job.output = out[row : row + 1].contiguous()
