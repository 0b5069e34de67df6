"""`stylize_frames`: the frames of one animation stylized as one job, without flicker.

Stylizing each frame alone flickers: every frame lands in a different local optimum. Two cheap remedies, chosen by
`AnimateOptions.mode` (figures in bench/RESULTS.md, "Animated GIFs"):

- `sequential` (the default, and the CPU's): frame 1 runs the preset's whole schedule; every later frame starts
  from the previous result moved block by block (`engine._flow`: each block of the new input found in the previous
  one near the global shift, or, for what nothing nearby shows (a revealed border, an uncovered background, a new
  thing), the most similar block anywhere: a stylized picture of similar content), and runs only a few steps at the
  final scale, on the objective plus a temporal term that ties it to that start where the input did not change
  (`engine._flow.flow_mask`: revealed or changed pixels are free). Its first steps work on the fresh pixels (what
  the motion brings in, `engine._flow.fresh_pixels`) and a band around them alone, computed on a crop
  (`engine._repair`: each a fraction of a whole-frame step, and they take most of what the new pixels cost the
  objective); then its cheap shallow-layer steps stop as soon as that objective is within `AnimateOptions.stop` x
  the first frame's; then a few full steps run through the layers the first frame's objective needs: none where
  it sits mostly (> 1 - DEEP_SHARE) in the shallow layers, else the network up to the shallowest layer beyond
  which less than DEEP_SHARE of it lies (relu3_1: a third of the whole network's cost). (A start moved by the
  global shift alone left a moving thing where it was in the first frame and the revealed border without the new
  content: a few steps restyle neither; bench/RESULTS.md.)
- `batched` (meant for a GPU; experimental, not used by the worker): all frames optimise as one batch through the
  whole schedule, with the start noise moving with the picture and a joint temporal term tying each frame to its
  moved predecessor, weighed as much as each frame's objective at every step. At 64-128 px its frames are real
  stylizations flickering 0.4-0.7x as much as independent ones (sequential: about 0.1x), but at 256 px on an H200
  it still diverges, so it stays experimental.
- `independent`: every frame alone, same seed (the baseline the others are measured against).

The seed is the same for every frame. Progress reports count the steps of all frames and name the frame.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from engine._convert import denormalize, normalize, resize
from engine._device import ALL_LAYERS, SHALLOW_LAYERS, get_model, resolve_device, use_bf16
from engine._flow import estimate_flow, flow_mask, fresh_pixels, still_flow, warp
from engine._motion import Shift, change_mask, estimate_shift, translate
from engine._optim import Adam, BatchedLBFGS
from engine._presets import Preset, get_preset
from engine._repair import find_crop, repair
from engine._run import Job, Objective, _clamp, _history, _start, build_objective
from engine._stylize import _validate, stylize
from engine._types import Progress, StyleParams
from engine._vgg import LAYER_INDEX
from engine._weights import load_weights
from engine.errors import EngineError

__all__ = ["AnimateOptions", "AnimationResult", "stylize_frames"]

Mode = Literal["sequential", "batched", "independent"]


REPAIR_STEPS = 20  # local steps on a later frame's fresh pixels, before its whole-frame steps (engine._repair)


@dataclass(frozen=True)
class AnimateOptions:
    """How the frames are tied together. `warm_steps` = (shallow warm-up, full) steps per later frame in
    `sequential`, at most (None: the preset's default); `temporal` weighs the temporal term against the objective;
    a later frame's shallow phase stops as soon as its objective is within `stop` x the first frame's (0: never);
    `repair`: at most so many steps on the fresh pixels alone first, computed on a crop (`engine._repair`)."""

    mode: Mode = "sequential"
    warm_steps: tuple[int, int] | None = None
    temporal: float = 1.0
    warp: bool = True
    stop: float = 1.1
    repair: int = REPAIR_STEPS


WARM_STEPS = {"fast": (25, 2), "seed": (0, 300)}  # bench/RESULTS.md, "Animated GIFs"
POLISH_STEPS = 10  # a phase this long ends with a check of its last step (a forward pass); fast's 2 full steps don't
DEEP_SHARE = 0.25  # a later frame's full steps leave out the deepest layers holding less than this of the objective


@dataclass(frozen=True)
class AnimationResult:
    frames: list[Tensor]  # each (1, 3, H, W) in [0, 1], on the CPU
    shifts: list[Shift]  # the motion estimated from input frame t to t+1 (at the output size)
    seconds: float
    steps: int
    device: str
    weights: str
    random_weights: bool
    size: tuple[int, int]  # (w, h) of every frame
    losses: list[float]
    notes: tuple[str, ...] = ()

    @property
    def final_loss(self) -> float:
        """The worst frame's objective."""
        return max(self.losses)


ProgressFn = Callable[[Progress], None]
FrameFn = Callable[[int, Tensor], None]


class _Counter:
    """Turns per-frame steps into one job's progress (all frames' steps; the frame being optimised)."""

    def __init__(self, total: int, frames: int, on_progress: ProgressFn | None) -> None:
        self.total, self.frames, self.on_progress = total, frames, on_progress
        self.step, self.started = 0, time.monotonic()

    def __call__(self, frame: int, loss: float, preview: Tensor | None = None, warmup: bool = False,
                 give_back: int = 0) -> None:  # fmt: skip
        """One step of `frame`; `give_back`: steps of the budget that will not be taken (a frame stopping early)."""
        self.step, self.total = self.step + 1, self.total - give_back
        if self.on_progress is not None:
            elapsed = time.monotonic() - self.started
            self.on_progress(Progress(self.step, self.total, loss, elapsed, 0, preview, warmup, frame, self.frames))


def _descend(loss_fn: Callable[[Tensor], Tensor], x: Tensor, steps: int, preset: Preset,
             report: Callable[[Tensor, int], None], polish: bool = True,
             done: Callable[[], bool] | None = None) -> tuple[Tensor, Tensor, int]:  # fmt: skip
    """Up to `steps` optimiser steps on per-sample `loss_fn`, each reported with the steps given up (0 but at an
    early stop); stops at a point where `done()` (asked after each evaluation, which counts as a step) holds.
    Otherwise, with `polish`, keeps a sample's previous point where the last (unchecked) step made it worse.
    Returns (x, its per-sample loss, the steps taken)."""
    opt: Adam | BatchedLBFGS = Adam(preset.lr) if preset.optimizer == "adam" else BatchedLBFGS(preset.lr, _history(x))
    before, losses = x, torch.zeros(x.shape[0], device=x.device)
    for step in range(steps):
        before = x
        xg = x.detach().requires_grad_(True)
        losses = loss_fn(xg)
        if done is not None and done():
            report(losses.detach(), steps - step - 1)
            return x, losses.detach(), step + 1
        (grad,) = torch.autograd.grad(losses.sum(), xg)
        losses = losses.detach()
        report(losses, 0)
        x = opt.step(x.detach(), grad)
        if preset.clamp:
            x = _clamp(x)
    if not polish or not steps:
        return x, losses, steps
    with torch.no_grad():
        end = loss_fn(x).detach()
    better = end <= losses
    return torch.where(better.view(-1, 1, 1, 1), x, before), torch.minimum(end, losses), steps


def _tie(x: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Per-sample mean of mask · (x - target)²."""
    return ((x - target) ** 2 * mask).flatten(1).mean(dim=1)


def stylize_frames(
    contents: Sequence[Tensor],
    styles: Sequence[Tensor],
    params: StyleParams,
    *,
    weights: str = "imagenet",
    options: AnimateOptions = AnimateOptions(),
    on_progress: ProgressFn | None = None,
    on_frame: FrameFn | None = None,
) -> AnimationResult:
    """Stylize the frames of one animation (each (1, 3, H, W), all the same size) with the same styles and seed.

    `on_progress` hears of every step (it may raise `Cancelled`); `on_frame(i, image)` of every finished frame
    (`batched`: all of them at the end). Raises the job's EngineError on failure.
    """
    if not contents:
        raise EngineError("an animation needs at least one frame")
    if params.preset == "instant":  # one feed-forward pass per frame flickers: animations optimise (warm-started)
        params = dataclasses.replace(params, preset="fast")
    if len({tuple(c.shape) for c in contents}) != 1:
        raise EngineError("all frames of an animation must have the same size")
    started = time.monotonic()
    job = _validate(0, (contents[0], styles, params))
    hw = job.scales[-1].hw
    small = [resize(c.float(), hw) for c in contents]
    shifts = [estimate_shift(a, b) if options.warp else (0, 0) for a, b in itertools.pairwise(small)]
    if options.mode == "batched":
        frames, losses, steps = _batched(contents, styles, params, weights, options, shifts, on_progress)
        for i, frame in enumerate(frames):
            if on_frame is not None:
                on_frame(i, frame)
    else:
        frames, losses, steps = _one_by_one(contents, small, styles, params, weights, options, shifts,
                                            on_progress, on_frame)  # fmt: skip
    loaded = load_weights(weights)
    notes = ("random VGG19 weights: not a real style transfer",) if loaded.random else ()
    return AnimationResult(
        frames=frames, shifts=shifts, seconds=time.monotonic() - started, steps=steps,
        device=resolve_device(params.device), weights=loaded.kind, random_weights=loaded.random,
        size=(hw[1], hw[0]), losses=losses, notes=notes,
    )  # fmt: skip


def _warm_total(params: StyleParams, options: AnimateOptions) -> tuple[int, int]:
    """(shallow, full) steps of a later frame; never more in all than `params.steps` (a server's step cap)."""
    shallow, full = options.warm_steps or WARM_STEPS.get(params.preset, (0, 10))
    if params.steps is not None and shallow + full > params.steps:
        full = max(1, min(full, params.steps // 4))
        shallow = max(0, params.steps - full)
    return shallow, full


def _one_by_one(contents: Sequence[Tensor], small: list[Tensor], styles: Sequence[Tensor], params: StyleParams,
                weights: str, options: AnimateOptions, shifts: list[Shift], on_progress: ProgressFn | None,
                on_frame: FrameFn | None) -> tuple[list[Tensor], list[float], int]:  # fmt: skip
    """`sequential` (warm starts) or `independent` (every frame alone)."""
    n = len(contents)
    still_total = _validate(0, (contents[0], styles, params)).total_steps
    warm = _warm_total(params, options)
    per_frame = still_total if options.mode == "independent" else sum(warm)
    counter = _Counter(still_total + (n - 1) * per_frame, n, on_progress)
    frames: list[Tensor] = []
    losses: list[float] = []
    reference, deep = (0.0, 0.0), ALL_LAYERS
    for i in range(n):
        if i == 0 or options.mode == "independent":
            result = stylize(contents[i], styles, params, weights=weights,
                             on_progress=lambda p, i=i: counter(i + 1, p.loss, p.preview, p.warmup))  # fmt: skip
            image, loss = result.image, result.final_loss
            if i == 0 and n > 1 and options.mode == "sequential":
                part = functools.cache(functools.partial(_objective, image, small[0], styles, params, weights))
                reference = (part(SHALLOW_LAYERS), loss)
                deep = _deep_layers(part, loss) if warm[0] else ALL_LAYERS
                if deep == SHALLOW_LAYERS:
                    counter.total -= (n - 1) * warm[1]  # the deep layers hold too little to be worth full steps
                    warm = (warm[0], 0)
        else:
            flow = estimate_flow(small[i - 1], small[i]) if options.warp else still_flow(small[i])
            fresh = fresh_pixels(flow, shifts[i - 1])
            image, loss = _warm_frame(small[i - 1], small[i], frames[-1], (flow, fresh), styles, params, weights,
                                      options, warm, lambda v, left, i=i: counter(i + 1, v, give_back=left),
                                      reference, deep)  # fmt: skip
        frames.append(image)
        losses.append(loss)
        if on_frame is not None:
            on_frame(i, image)
    return frames, losses, counter.step


def _deep_layers(part: Callable[[tuple[str, ...]], float], total: float) -> tuple[str, ...]:
    """The layers a later frame's full steps need: the shallowest prefix of the network (by depth; the content
    layer where it sits) beyond which the first frame's objective (`total`; `part(layers)`: its part in `layers`)
    holds less than DEEP_SHARE, or SHALLOW_LAYERS where the shallow phase alone is enough. Steps through fewer
    layers cost less: up to relu3_1 ~1/3 of the whole network's."""
    ordered = sorted(ALL_LAYERS, key=LAYER_INDEX.__getitem__)
    for depth in range(len(SHALLOW_LAYERS), len(ordered)):
        layers = tuple(ordered[:depth])
        if 1 - part(layers) / total < DEEP_SHARE:
            return layers
    return ALL_LAYERS


def _objective(image: Tensor, content: Tensor, styles: Sequence[Tensor], params: StyleParams, weights: str,
               layers: tuple[str, ...]) -> float:  # fmt: skip
    """The part of `image`'s objective in `layers` (SHALLOW_LAYERS: the warm-up's objective)."""
    device, preset = resolve_device(params.device), get_preset(params.preset)
    bf16 = use_bf16(device) and preset.name == "fast"
    model = get_model(load_weights(weights), params.pooling, device, bf16, layers)
    job = _validate(0, (content, styles, params))
    objective = build_objective(model, [job], tuple(content.shape[-2:]), preset, device, bf16)  # type: ignore[arg-type]
    with torch.no_grad():
        return float(objective(normalize(image).to(device))[0])


def _warm_frame(previous_content: Tensor, content: Tensor, previous: Tensor, motion: tuple[Tensor, Tensor],
                styles: Sequence[Tensor], params: StyleParams, weights: str, options: AnimateOptions,
                warm: tuple[int, int], report: Callable[[float, int], None], reference: tuple[float, float],
                deep: tuple[str, ...] = ALL_LAYERS) -> tuple[Tensor, float]:  # fmt: skip
    """One later frame of `sequential`: the previous result, moved, refined at the final scale for at most `warm` =
    (shallow, full) steps, the shallow ones after at most `options.repair` steps on the fresh pixels (`motion` =
    (flow, its fresh pixels)) and a band around them alone (`engine._repair`; not reported: each is a fraction of
    a step); the shallow phase stops once its objective is within `options.stop` x the first frame's (`reference`:
    its (shallow, full) objective), the full steps (few, through the `deep` layers alone) all run: stopping them
    early too left a frame at 1.55x its alone objective with rescaled weights. Fewer than POLISH_STEPS of them end
    without a check of the last one, so the frame's reported loss is that of the point before it."""
    device, preset = resolve_device(params.device), get_preset(params.preset)
    bf16 = use_bf16(device) and preset.name == "fast"
    hw = tuple(content.shape[-2:])
    job = _validate(0, (content, styles, params))
    flow, fresh = motion
    moved = warp(previous, flow)
    mask = flow_mask(previous_content, content, flow).to(device)
    target = normalize(moved).to(device)
    x, loss = target.clone(), torch.zeros(1)
    loaded = load_weights(weights)
    for shallow, steps in zip((True, False), warm, strict=True):
        if not steps:
            continue
        model = get_model(loaded, params.pooling, device, bf16, SHALLOW_LAYERS if shallow else deep)
        objective = build_objective(model, [job], hw, preset, device, bf16)  # type: ignore[arg-type]
        seen: list[Tensor] = []  # the temporal term's weight, then the latest objective
        goal = options.stop * reference[0] if shallow and options.stop > 0 else -math.inf  # full steps: all of them
        if shallow:  # the tie weighs as much as a finished frame's objective, whatever the fresh pixels cost
            seen.append(torch.tensor([options.temporal * reference[0]], device=device))
        crop = find_crop(fresh) if shallow and options.repair else None
        if crop is not None:
            tie = (target, mask, float(seen[0][0]))  # at most the phase's steps: a server's step cap holds
            x, _ = repair(objective, x, crop, tie, min(options.repair, steps), preset.lr, goal)

        def loss_fn(v: Tensor, objective: Objective = objective, seen: list[Tensor] = seen) -> Tensor:
            base = objective(v)
            seen[1:] = [base.detach()]
            if len(seen) == 1:
                seen.insert(0, options.temporal * base.detach())
            return base + seen[0] * _tie(v, target, mask)

        def done(seen: list[Tensor] = seen, goal: float = goal) -> bool:
            return float(seen[-1][0]) <= goal

        polish = not warm[1] if shallow else steps >= POLISH_STEPS
        x, loss, _ = _descend(loss_fn, x, steps, preset, lambda ls, left: report(float(ls[0]), left), polish, done)
    return denormalize(x.detach().float()).clamp(0, 1).cpu(), float(loss[0])


def _moving_start(jobs: list[Job], hw: tuple[int, int], preset: Preset, device: str,
                  offsets: list[Shift]) -> Tensor:  # fmt: skip
    """`_start` for every frame, but with the first frame's noise moved along with the picture."""
    x = _start(jobs[:1], hw, preset, device)
    noise = x - normalize(resize(jobs[0].content, hw)).to(device)
    rows = [normalize(resize(job.content, hw)).to(device) + torch.roll(noise, off, dims=(-2, -1))
            for job, off in zip(jobs, offsets, strict=True)]  # fmt: skip
    return torch.cat(rows)


def _batched(contents: Sequence[Tensor], styles: Sequence[Tensor], params: StyleParams, weights: str,
             options: AnimateOptions, shifts: list[Shift],
             on_progress: ProgressFn | None) -> tuple[list[Tensor], list[float], int]:  # fmt: skip
    """All frames as one batch, every scale, with a joint temporal term between neighbours."""
    device = resolve_device(params.device)
    preset = get_preset(params.preset)
    bf16 = use_bf16(device) and preset.name == "fast"
    jobs = [_validate(i, (c, styles, params)) for i, c in enumerate(contents)]
    counter = _Counter(jobs[0].total_steps, len(jobs), on_progress)
    final = jobs[0].scales[-1].hw
    cumulative = [(0, 0)]
    for dy, dx in shifts:
        cumulative.append((cumulative[-1][0] + dy, cumulative[-1][1] + dx))
    loaded = load_weights(weights)
    x: Tensor | None = None
    losses = torch.zeros(len(jobs))
    for scale in jobs[0].scales:
        f = scale.hw[0] / final[0]
        at = [(round(dy * f), round(dx * f)) for dy, dx in shifts]
        small = [resize(job.content, scale.hw).to(device) for job in jobs]
        masks = torch.cat([torch.zeros_like(small[0][:, :1])] + [
            change_mask(a, b, s) for (a, b), s in zip(itertools.pairwise(small), at, strict=True)])  # fmt: skip
        if x is None:
            x = _moving_start(jobs, scale.hw, preset, device, [(round(a * f), round(b * f)) for a, b in cumulative])
        else:
            x = normalize(resize(denormalize(x).clamp(0, 1), scale.hw))

        def joint(v: Tensor, at: list[Shift] = at, masks: Tensor = masks) -> Tensor:
            prev = torch.cat([v[:1]] + [translate(v[t : t + 1], at[t])[0] for t in range(len(at))])
            return _tie(v, prev, masks)

        for shallow, steps in ((True, scale.warmup), (False, scale.steps)):
            if not steps:
                continue
            model = get_model(loaded, params.pooling, device, bf16, SHALLOW_LAYERS if shallow else ALL_LAYERS)
            objective = build_objective(model, jobs, scale.hw, preset, device, bf16)

            def loss_fn(v: Tensor, o: Objective = objective, j: Callable[[Tensor], Tensor] = joint) -> Tensor:
                base = o(v)  # the tie weighs as much as each frame's objective now (the start's would be noise's)
                return base + options.temporal * base.detach() * j(v)

            x, losses, _ = _descend(loss_fn, x, steps, preset,
                                    lambda ls, _, s=shallow: counter(len(jobs), float(ls.mean()), None, s))  # fmt: skip
    assert x is not None
    out = denormalize(x.detach().float()).clamp(0, 1).cpu()
    return [out[i : i + 1].contiguous() for i in range(len(jobs))], [float(v) for v in losses], counter.step
