"""Neural style transfer on VGG19 (Gatys et al.), tensors in and tensors out, plus the feed-forward `instant` preset
(`instant_stylize`, `load_instant_model`: Magenta's arbitrary stylization network on onnxruntime; see engine._instant).

Importing `engine` imports no torch (nor onnxruntime or numpy): the public names below are loaded on first use, so
`engine.images` (Pillow only) stays usable from the bot and the CLI without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundation import lazy_exports

__all__ = [
    "IMAGENET_URL",
    "AnimateOptions",
    "AnimationResult",
    "Cancelled",
    "EngineError",
    "ImageError",
    "InstantModel",
    "InstantModelStatus",
    "InstantModelUnavailable",
    "JobTimeout",
    "OutOfMemory",
    "Progress",
    "StyleParams",
    "StylizeResult",
    "WeightsUnavailable",
    "check_instant_model",
    "compatible",
    "download_imagenet",
    "hub_checkpoint_path",
    "image_to_tensor",
    "instant_stylize",
    "load_instant_model",
    "load_weights",
    "output_shape",
    "resolve_device",
    "seed_objective",
    "stylize",
    "stylize_batch",
    "stylize_frames",
    "temporal_flicker",
    "tensor_to_image",
]

# public name -> private module that defines it (loaded lazily)
_LAZY: dict[str, str] = {
    "Cancelled": "engine.errors",
    "EngineError": "engine.errors",
    "ImageError": "engine.errors",
    "InstantModelUnavailable": "engine.errors",
    "InstantModel": "engine._instant_model",
    "InstantModelStatus": "engine._instant_model",
    "check_instant_model": "engine._instant_model",
    "load_instant_model": "engine._instant_model",
    "instant_stylize": "engine._instant",
    "JobTimeout": "engine.errors",
    "OutOfMemory": "engine.errors",
    "WeightsUnavailable": "engine.errors",
    "Progress": "engine._types",
    "StyleParams": "engine._types",
    "StylizeResult": "engine._stylize",
    "AnimateOptions": "engine._animate",
    "AnimationResult": "engine._animate",
    "stylize_frames": "engine._animate",
    "temporal_flicker": "engine._motion",
    "output_shape": "engine._presets",
    "compatible": "engine._stylize",
    "seed_objective": "engine._stylize",
    "stylize": "engine._stylize",
    "stylize_batch": "engine._stylize",
    "image_to_tensor": "engine._convert",
    "tensor_to_image": "engine._convert",
    "resolve_device": "engine._device",
    "IMAGENET_URL": "engine._weights",
    "download_imagenet": "engine._weights",
    "hub_checkpoint_path": "engine._weights",
    "load_weights": "engine._weights",
}

if TYPE_CHECKING:  # pragma: no cover
    from engine._animate import AnimateOptions, AnimationResult, stylize_frames
    from engine._convert import image_to_tensor, tensor_to_image
    from engine._device import resolve_device
    from engine._instant import instant_stylize
    from engine._instant_model import InstantModel, InstantModelStatus, check_instant_model, load_instant_model
    from engine._motion import temporal_flicker
    from engine._presets import output_shape
    from engine._stylize import StylizeResult, compatible, seed_objective, stylize, stylize_batch
    from engine._types import Progress, StyleParams
    from engine._weights import IMAGENET_URL, download_imagenet, hub_checkpoint_path, load_weights
    from engine.errors import (
        Cancelled,
        EngineError,
        ImageError,
        InstantModelUnavailable,
        JobTimeout,
        OutOfMemory,
        WeightsUnavailable,
    )


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
