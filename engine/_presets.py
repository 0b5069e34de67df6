"""The two presets: `seed` (the seed notebook's method, quirks included) and `fast` (the default).

Both minimise the same objective: content (relu4_2) + 5e6 · strength · style (relu1_1 … relu5_1 weighted
1, 0.8, 0.5, 0.3, 0.1) [+ tv · total variation]. `seed` runs Adam (lr 0.003) from a copy of the content for 2400
steps at one scale; `fast` runs per-sample L-BFGS coarse to fine from the content with seeded noise blended in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine._convert import short_side_shape
from engine._types import StyleParams
from engine._vgg import MIN_SIDE
from engine.errors import EngineError

__all__ = ["FAST", "PRESETS", "SEED", "Preset", "Scale", "output_shape", "schedule"]

SEED_MAX_SIZE = 400
FAST_MAX_SIZE = 512
COARSEST_SIDE = 64  # fast: the coarsest scale's short side (about)


@dataclass(frozen=True)
class Preset:
    name: str
    optimizer: Literal["adam", "lbfgs"]
    lr: float
    steps: int  # seed: Adam steps; fast: L-BFGS steps at the final scale
    content_weight: float = 1.0
    style_weight: float = 5e6
    noise: float = 0.0  # std of the seeded noise added to the (normalised) start image
    coarse_steps: int = 0  # fast: L-BFGS steps at each coarser scale
    warmup_steps: int = 0  # fast: steps on the shallow layers' style loss before the full objective, per scale


@dataclass(frozen=True)
class Scale:
    hw: tuple[int, int]
    steps: int  # steps on the full objective
    warmup: int = 0  # steps before them on the shallow layers' style loss only


SEED = Preset("seed", "adam", lr=0.003, steps=2400)
FAST = Preset("fast", "lbfgs", lr=1.0, steps=20, noise=0.6, coarse_steps=30)
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
    """Scales (coarse to fine) and steps at each. `params.steps` sets the final scale's steps."""
    preset = get_preset(params.preset)
    final_steps = params.steps if params.steps is not None else preset.steps
    if final_steps < 1:
        raise EngineError(f"steps must be at least 1, got {final_steps}")
    if preset.optimizer == "adam":
        return [Scale(hw, final_steps)]
    ratio = final_steps / preset.steps
    warmup = round(preset.warmup_steps * ratio)
    scales = [Scale(hw, final_steps, warmup)]
    h, w = hw
    coarse = max(1, round(preset.coarse_steps * ratio))
    while min(h, w) >= 2 * COARSEST_SIDE:
        h, w = h // 2, w // 2
        scales.append(Scale((h, w), coarse, warmup))
    return scales[::-1]
