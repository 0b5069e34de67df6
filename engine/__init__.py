"""Neural style transfer on VGG19 (Gatys et al.), tensors in and tensors out.

Importing `engine` imports no torch: the public names below are loaded on first use, so `engine.images`
(Pillow only) stays usable from the bot and the CLI without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "Cancelled",
    "EngineError",
    "Progress",
    "StyleParams",
]

# public name -> private module that defines it (loaded lazily)
_LAZY: dict[str, str] = {
    "Cancelled": "engine.errors",
    "EngineError": "engine.errors",
    "Progress": "engine._types",
    "StyleParams": "engine._types",
}

if TYPE_CHECKING:  # pragma: no cover
    from engine._types import Progress, StyleParams
    from engine.errors import Cancelled, EngineError


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
