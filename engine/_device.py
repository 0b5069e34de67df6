"""Device choice, mixed precision and out-of-memory detection."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import torch

from engine._vgg import CONTENT_LAYER, STYLE_LAYERS, VGGFeatures
from engine._weights import LoadedWeights, load_weights
from engine.errors import EngineError

__all__ = ["ALL_LAYERS", "SHALLOW_LAYERS", "autocast", "get_model", "is_oom", "resolve_device", "use_bf16"]

_DEVICES = ("auto", "cpu", "cuda", "mps")
_models: dict[tuple[int, str, str, bool, tuple[str, ...]], VGGFeatures] = {}
_lock = threading.Lock()


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def resolve_device(name: str) -> str:
    """ "auto" -> cuda, else mps, else cpu; "cuda"/"mps" must be available; "cuda:1" style indices are kept."""
    base = name.split(":", 1)[0].strip().lower()
    if base not in _DEVICES:
        raise EngineError(f"unknown device {name!r}; choose one of {', '.join(_DEVICES)}")
    if base == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if _mps_available() else "cpu"
    if base == "cuda" and not torch.cuda.is_available():
        raise EngineError("device cuda was requested but no CUDA GPU is available (try --device cpu)")
    if base == "mps" and not _mps_available():
        raise EngineError("device mps was requested but Metal is not available (try --device cpu)")
    return name.strip().lower()


def use_bf16(device: str) -> bool:
    """bf16 autocast + channels_last pay off on CUDA GPUs that support bf16 (Ampere and newer)."""
    return device.startswith("cuda") and torch.cuda.is_bf16_supported()


@contextlib.contextmanager
def autocast(device: str, enabled: bool) -> Iterator[None]:
    if enabled:
        with torch.autocast(device.split(":")[0], dtype=torch.bfloat16):
            yield
    else:
        yield


ALL_LAYERS = (CONTENT_LAYER, *STYLE_LAYERS)
SHALLOW_LAYERS = tuple(STYLE_LAYERS)[:2]  # relu1_1, relu2_1: where most of the style loss sits, ~1/6 of the FLOPs


def get_model(
    weights: str | LoadedWeights,
    pooling: str,
    device: str,
    channels_last: bool = False,
    layers: tuple[str, ...] = ALL_LAYERS,
) -> VGGFeatures:
    """A frozen VGGFeatures for (weights, pooling, device, layers), built once per process."""
    loaded = weights if isinstance(weights, LoadedWeights) else load_weights(weights)
    key = (id(loaded), pooling, device, channels_last, layers)
    with _lock:
        model = _models.get(key)
        if model is None:
            if pooling not in ("max", "avg"):
                raise EngineError(f"unknown pooling {pooling!r}; choose max or avg")
            model = VGGFeatures(loaded.state_dict, layers, pooling).to(device)  # type: ignore[arg-type]
            if channels_last:
                model = model.to(memory_format=torch.channels_last)
            _models[key] = model
        return model


def is_oom(exc: BaseException) -> bool:
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)
