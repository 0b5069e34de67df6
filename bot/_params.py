"""Turn /stylize options into engine parameters under a server's policy (clamping with a note, never silently)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from engine.budget import default_total_steps

from bot._policy import Policy

__all__ = ["Options", "build_params", "derive_params"]

SEED_RANGE = 2**31 - 1
STRONGER = 1.5  # the stronger / weaker buttons scale the style strength by this factor
MIN_STRENGTH, MAX_STRENGTH = 0.1, 10.0


@dataclass(frozen=True)
class Options:
    strength: float = 1.0
    size: int | None = None
    preset: str | None = None  # None: the bot's default preset, or the server's first allowed one
    preserve_colors: bool = False
    seed: int | None = None


def _size(requested: int | None, default: int, policy: Policy, notes: list[str]) -> int:
    if requested is None:
        return min(default, policy.max_size)
    if requested > policy.max_size:
        notes.append(f"Size {requested} px is above the limit here; using {policy.max_size} px.")
        return policy.max_size
    return requested


def capped_steps(preset: str, size: int | None, requested: int | None, cap: int | None) -> int | None:
    """The steps to run: what was asked for (None = the preset's own), lowered to a server's cap, never raised."""
    if cap is None:
        return requested
    wanted = requested
    if wanted is None and size is not None:
        wanted = default_total_steps(preset, size)
    if wanted is None or wanted <= cap:
        return requested
    return cap


def _preset(requested: str | None, default: str, policy: Policy) -> str:
    allowed = policy.allowed_presets
    if requested is None:
        return default if allowed is None or default in allowed or not allowed else allowed[0]
    policy.check_preset(requested)
    return requested


def build_params(
    options: Options, *, default_size: int, policy: Policy, default_preset: str = "fast"
) -> tuple[dict[str, Any], list[str]]:
    """`engine.StyleParams`-shaped params (plain JSON) and the notes to show the member."""
    from engine import StyleParams  # torch-free value type (lazy export)

    preset = _preset(options.preset, default_preset, policy)
    notes: list[str] = []
    size = _size(options.size, default_size, policy, notes)
    params = StyleParams(
        preset=preset,  # type: ignore[arg-type]
        size=size,
        steps=capped_steps(preset, size, None, policy.max_steps),
        strength=float(options.strength),
        preserve_colors=options.preserve_colors,
        seed=random.randrange(SEED_RANGE) if options.seed is None else options.seed,
    )
    return params.to_dict(), notes


def derive_params(parent: dict[str, Any], action: str, policy: Policy) -> dict[str, Any]:
    """Params for a re-roll (new seed), stronger or weaker (strength x/÷ 1.5) job made from a parent's."""
    params = {k: v for k, v in parent.items() if k != "notes"}
    policy.check_preset(str(params.get("preset", "fast")))  # the server may have turned it off since
    if action == "reroll":
        params["seed"] = random.randrange(SEED_RANGE)
    elif action == "stronger":
        params["strength"] = min(MAX_STRENGTH, float(params.get("strength", 1.0)) * STRONGER)
    elif action == "weaker":
        params["strength"] = max(MIN_STRENGTH, float(params.get("strength", 1.0)) / STRONGER)
    else:
        raise ValueError(f"unknown action {action!r}")
    if params.get("size") and params["size"] > policy.max_size:
        params["size"] = policy.max_size
    preset, size = str(params.get("preset", "fast")), params.get("size")
    params["steps"] = capped_steps(preset, size, params.get("steps"), policy.max_steps)
    return params
