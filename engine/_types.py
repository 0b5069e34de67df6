"""Plain value types of the engine's public API (no torch at import time)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Progress", "StyleParams"]

PresetName = Literal["fast", "seed", "instant"]


@dataclass(frozen=True)
class StyleParams:
    """Everything that decides a stylization. `None` means "the preset's own choice".

    `size` is the output's short side in px; `strength` scales the style weight (1.0 = the preset's);
    `style_weights` blends several style images (normalised to sum 1); `seed` drives the noise blended into
    the start image (`fast`), so the same seed gives the same picture and another seed a visibly different one.
    `init` is where `fast` and `seed` start: the content, or the `instant` preset's picture of it.
    """

    preset: PresetName = "fast"
    size: int | None = None
    steps: int | None = None
    strength: float = 1.0
    style_weights: tuple[float, ...] | None = None
    preserve_colors: bool = False
    tv: float = 0.0
    seed: int = 0
    pooling: Literal["max", "avg"] = "max"
    device: str = "auto"
    time_limit: float | None = None
    init: Literal["content", "instant"] = "content"

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        out = asdict(self)
        if out["style_weights"] is not None:
            out["style_weights"] = list(out["style_weights"])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StyleParams:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if known.get("style_weights") is not None:
            known["style_weights"] = tuple(float(w) for w in known["style_weights"])
        return cls(**known)


@dataclass(frozen=True)
class Progress:
    """One optimisation step reported to `on_progress`.

    `preview` is an optional small image (a CHW float tensor in [0, 1], at most 256 px) that the caller may encode.
    `warmup` is true while `fast` runs its cheap warm-up on the shallow layers: `loss` is then that partial loss.
    For an animation (`engine.stylize_frames`) `step`/`total` count the steps of all frames and `frame` (1-based)
    of `frames` is the frame being optimised; a still is frame 1 of 1.
    """

    step: int
    total: int
    loss: float
    elapsed: float
    scale: int = 0
    preview: Any | None = field(default=None, repr=False)
    warmup: bool = False
    frame: int = 1
    frames: int = 1

    @property
    def fraction(self) -> float:
        return self.step / self.total if self.total else 0.0
