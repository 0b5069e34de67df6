"""Where VGG19 weights come from: the torch hub cache, a state-dict file, or (only when asked) seeded random init.

Nothing here touches the network except `download_imagenet`, which the `stylebot weights download` command calls.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from engine._vgg import LAYER_INDEX, vgg19_layer_spec
from engine.errors import WeightsUnavailable

__all__ = [
    "IMAGENET_FILENAME",
    "IMAGENET_URL",
    "LoadedWeights",
    "download_imagenet",
    "hub_checkpoint_path",
    "load_weights",
    "random_state_dict",
]

logger = logging.getLogger(__name__)

# torchvision.models.VGG19_Weights.IMAGENET1K_V1 (the file name carries the sha256 prefix that torch.hub checks)
IMAGENET_FILENAME = "vgg19-dcbb9e9d.pth"
IMAGENET_URL = f"https://download.pytorch.org/models/{IMAGENET_FILENAME}"
_RANDOM_SEED = 0
_lock = threading.Lock()
_loaded: dict[str, LoadedWeights] = {}


@dataclass(frozen=True)
class LoadedWeights:
    """A VGG19 `features` state dict plus where it came from: kind is "imagenet", "file" or "random"."""

    state_dict: dict[str, Tensor]
    kind: str
    source: str

    @property
    def random(self) -> bool:
        return self.kind == "random"


def hub_checkpoint_path(hub_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where torch.hub keeps (or would keep) the ImageNet VGG19 checkpoint."""
    base = Path(hub_dir) if hub_dir is not None else Path(torch.hub.get_dir())
    return base / "checkpoints" / IMAGENET_FILENAME


def random_state_dict(seed: int = _RANDOM_SEED, scales: Mapping[int, float] | None = None) -> dict[str, Tensor]:
    """A torchvision-format VGG19 `features` state dict with torchvision's init, drawn from `torch.manual_seed(seed)`.

    Deterministic for a given seed and leaves the global RNG untouched. `scales` (conv index -> k > 0) multiplies
    that conv's weight and bias, and every later conv's bias, by k: the same network, its layers from that conv on
    k times larger (k^4 in the style loss): weight sets with other balances between the layers, to test on.
    """
    gen = torch.Generator().manual_seed(seed)
    out: dict[str, Tensor] = {}
    for index, (kind, cin, cout) in enumerate(vgg19_layer_spec()):
        if kind != "conv":
            continue
        # torchvision: kaiming_normal_(mode="fan_out", nonlinearity="relu"), bias 0
        std = (2.0 / (cout * 9)) ** 0.5
        out[f"features.{index}.weight"] = torch.randn(cout, cin, 3, 3, generator=gen) * std
        out[f"features.{index}.bias"] = torch.zeros(cout)
    convs = [i for i, (kind, _, _) in enumerate(vgg19_layer_spec()) if kind == "conv"]
    for index, k in (scales or {}).items():
        out[f"features.{index}.weight"] *= k
        for later in (c for c in convs if c >= index):
            out[f"features.{later}.bias"] *= k
    return out


def _read_state_dict(path: Path) -> dict[str, Tensor]:
    if not path.is_file():
        raise WeightsUnavailable(f"VGG19 weights file {path} does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file; translate once here
        raise WeightsUnavailable(f"VGG19 weights file {path} is not a readable torch state dict ({exc})") from exc
    if isinstance(data, dict) and "state_dict" in data and isinstance(data["state_dict"], dict):
        data = data["state_dict"]
    if not isinstance(data, dict):
        raise WeightsUnavailable(f"VGG19 weights file {path} does not hold a state dict")
    needed = {}
    for index, (kind, cin, cout) in enumerate(vgg19_layer_spec(LAYER_INDEX["relu5_1"])):
        if kind != "conv":
            continue
        for suffix, shape in (("weight", (cout, cin, 3, 3)), ("bias", (cout,))):
            key = f"features.{index}.{suffix}"
            value = data.get(key)
            if not isinstance(value, Tensor) or tuple(value.shape) != shape:
                raise WeightsUnavailable(
                    f"VGG19 weights file {path} is not in torchvision's vgg19 format ({key} missing or misshapen)"
                )
            needed[key] = value.float()
    return needed


def _cache_key(spec: str, hub_dir: str | os.PathLike[str] | None) -> str:
    if spec == "random":
        return spec
    path = hub_checkpoint_path(hub_dir) if spec == "imagenet" else Path(spec).expanduser()
    try:
        stat = path.stat()
    except OSError:
        return str(path)
    return f"{path}|{stat.st_mtime_ns}|{stat.st_size}"


def load_weights(spec: str, *, hub_dir: str | os.PathLike[str] | None = None) -> LoadedWeights:
    """Resolve `spec` ("imagenet", "random" or a path to a vgg19 state-dict file); cached per process."""
    key = _cache_key(spec, hub_dir)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        if spec == "random":
            logger.warning(
                "USING RANDOM VGG19 WEIGHTS: results are not real style transfer (tests/demo only); "
                "run `stylebot weights download` for the ImageNet weights"
            )
            loaded = LoadedWeights(random_state_dict(), "random", "random")
        elif spec == "imagenet":
            path = hub_checkpoint_path(hub_dir)
            if not path.is_file():
                raise WeightsUnavailable(
                    f"VGG19 ImageNet weights are not in the torch hub cache ({path}); run `stylebot weights download`, "
                    "or set STYLEBOT_WEIGHTS to a vgg19 state-dict file (or `random` for tests)"
                )
            loaded = LoadedWeights(_read_state_dict(path), "imagenet", str(path))
        else:
            path = Path(spec).expanduser()
            loaded = LoadedWeights(_read_state_dict(path), "file", str(path))
        _loaded[key] = loaded
        return loaded


def download_imagenet(
    *, hub_dir: str | os.PathLike[str] | None = None, url: str = IMAGENET_URL, progress: bool = True
) -> Path:
    """Fetch torchvision's VGG19 ImageNet weights into the torch hub cache (hash-checked); returns the file path."""
    target = hub_checkpoint_path(hub_dir)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(
            url, str(target), hash_prefix=IMAGENET_FILENAME.split("-")[1][:8], progress=progress
        )
    except Exception as exc:  # urllib/ssl/hash errors: translate once at the edge
        raise WeightsUnavailable(f"downloading VGG19 weights from {url} failed: {exc}") from exc
    _read_state_dict(target)
    return target
