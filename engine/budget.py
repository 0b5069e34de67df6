"""Each preset's step budget, torch-free, so the bot can cap steps without importing the engine's tensors.

`engine._presets` builds its presets and its coarse-to-fine schedule from these numbers; the bot uses
`default_total_steps` to compare a server's step cap with what a preset would run by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COARSEST_SIDE", "PRESET_NAMES", "PRESET_STEPS", "PresetSteps", "default_total_steps", "scale_count"]

COARSEST_SIDE = 96  # fast: a coarser scale (half the size) is added while the short side is >= 2x this


@dataclass(frozen=True)
class PresetSteps:
    steps: int  # seed: Adam steps; fast: full-objective L-BFGS steps at the final scale
    coarse_steps: int = 0  # fast: full-objective steps at each coarser scale
    warmup_steps: int = 0  # fast: shallow-style-layer steps before the full objective, at every scale
    multiscale: bool = False


PRESET_STEPS: dict[str, PresetSteps] = {
    "seed": PresetSteps(steps=2400),
    "fast": PresetSteps(steps=3, coarse_steps=13, warmup_steps=57, multiscale=True),
}
# Every preset the engine runs, for choices and settings: the optimisation presets above, and `instant` (one pass of
# a feed-forward network, engine._instant: no steps, so no step budget and nothing for a step cap to lower).
PRESET_NAMES: tuple[str, ...] = (*PRESET_STEPS, "instant")


def scale_count(short_side: int) -> int:
    """How many scales a multi-scale preset runs for an output of this short side (coarsest halves until < 2x96)."""
    count, side = 1, short_side
    while side >= 2 * COARSEST_SIDE:
        side //= 2
        count += 1
    return count


def default_total_steps(preset: str, short_side: int) -> int | None:
    """The optimiser steps a preset runs by itself for this output short side; None for an unknown preset."""
    budget = PRESET_STEPS.get(preset)
    if budget is None:
        return None
    if not budget.multiscale:
        return budget.steps
    coarser = scale_count(short_side) - 1
    return coarser * (budget.warmup_steps + budget.coarse_steps) + budget.warmup_steps + budget.steps
