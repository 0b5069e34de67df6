"""The two presets: `seed` (the seed notebook's method, quirks included) and `fast` (the default).

Both minimise the same objective: content (relu4_2) + 5e6 · strength · style (relu1_1 … relu5_1 weighted
1, 0.8, 0.5, 0.3, 0.1) [+ tv · total variation]. `seed` runs Adam (lr 0.003) from a copy of the content for 2400
steps at one scale; `fast` runs per-sample L-BFGS coarse to fine from the content with seeded smooth noise added,
and at each scale first spends cheap warm-up steps on the style loss of relu1_1 and relu2_1 alone (where most of the
style loss sits, at about a fifth of a full step's cost), then a few steps on the full objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine._convert import short_side_shape
from engine._types import StyleParams
from engine._vgg import MIN_SIDE
from engine.budget import COARSEST_SIDE, PRESET_STEPS
from engine.errors import EngineError

__all__ = ["FAST", "PRESETS", "SEED", "Preset", "Scale", "output_shape", "schedule"]

SEED_MAX_SIZE = 400
FAST_MAX_SIZE = 512


@dataclass(frozen=True)
class Preset:
    name: str
    optimizer: Literal["adam", "lbfgs"]
    lr: float
    steps: int  # seed: Adam steps; fast: full-objective L-BFGS steps at the final scale
    content_weight: float = 1.0
    style_weight: float = 5e6
    noise: float = 0.0  # std of the seeded noise added to the (normalised) start image
    coarse_steps: int = 0  # fast: L-BFGS steps at each coarser scale
    warmup_steps: int = 0  # fast: steps on the shallow layers' style loss before the full objective, per scale
    clamp: bool = False  # keep the image in the valid pixel range after every step (the seed notebook does not)


@dataclass(frozen=True)
class Scale:
    hw: tuple[int, int]
    steps: int  # steps on the full objective
    warmup: int = 0  # steps before them on the shallow layers' style loss only


_SEED, _FAST = PRESET_STEPS["seed"], PRESET_STEPS["fast"]
SEED = Preset("seed", "adam", lr=0.003, steps=_SEED.steps)
FAST = Preset(
    "fast",
    "lbfgs",
    lr=1.0,
    steps=_FAST.steps,
    noise=0.2,
    coarse_steps=_FAST.coarse_steps,
    warmup_steps=_FAST.warmup_steps,
    clamp=True,
)
PRESETS = {"seed": SEED, "fast": FAST}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise EngineError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}") from None


def output_shape(params: StyleParams, h: int, w: int) -> tuple[int, int]:
    """The output (h, w) for a content of h x w px.

    seed: size = min(longest side, 400), then the *short* side is resized to `size` (the notebook's quirk: a
    small image is upscaled). fast: the short side stays, capped at 512. `params.size` sets the short side.
    """
    if params.size is not None:
        short = params.size
    elif params.preset == "seed":
        short = min(max(h, w), SEED_MAX_SIZE)
    else:
        short = min(h, w, FAST_MAX_SIZE)
    if short < MIN_SIDE:
        raise EngineError(f"output size {short} px is too small; the engine needs at least {MIN_SIDE} px")
    return short_side_shape(h, w, short)


def schedule(params: StyleParams, hw: tuple[int, int]) -> list[Scale]:
    """Scales (coarse to fine) and steps at each; `params.steps` is the total number of optimiser steps.

    seed: all of them Adam steps at one scale. fast: the preset's template (per coarse scale 57 warm-up + 13 full
    steps, at the final scale 57 warm-up + 3 full: 60 in all) scaled to `params.steps`, ending on a full step.
    """
    preset = get_preset(params.preset)
    if params.steps is not None and params.steps < 1:
        raise EngineError(f"steps must be at least 1, got {params.steps}")
    if preset.optimizer == "adam":
        return [Scale(hw, params.steps or preset.steps)]
    sizes = [hw]
    while min(sizes[-1]) >= 2 * COARSEST_SIDE:
        sizes.append((sizes[-1][0] // 2, sizes[-1][1] // 2))
    template = [(preset.warmup_steps, preset.coarse_steps)] * (len(sizes) - 1) + [(preset.warmup_steps, preset.steps)]
    full_total = sum(w + f for w, f in template)
    total = params.steps if params.steps is not None else full_total
    ratio = total / full_total
    parts = [(round(w * ratio), round(f * ratio)) for w, f in template]
    spare = total - sum(w + f for w, f in parts[:-1]) - 1  # the last full step is always kept
    warm = max(0, min(parts[-1][0], spare))
    parts[-1] = (warm, total - sum(w + f for w, f in parts[:-1]) - warm)
    scales = [Scale(size, f, w) for size, (w, f) in zip(sizes[::-1], parts, strict=True) if w + f > 0]
    return scales if scales[-1].hw == hw else [Scale(hw, total)]
