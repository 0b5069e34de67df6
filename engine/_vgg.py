"""VGG19 feature extractor as small frozen modules that stop after the last layer a loss needs.

Layer indices follow torchvision's `vgg19().features`. torchvision's ReLUs are in-place, so in the seed notebook every
feature it stored under a conv name (conv4_2, conv1_1 …) was really the activation after that conv's ReLU; we tap the
ReLU outputs explicitly (relu4_2, relu1_1 … relu5_1) and stop the forward at relu5_1 (index 29).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import torch
from torch import Tensor, nn

__all__ = [
    "CONTENT_LAYER",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "LAYER_INDEX",
    "MIN_SIDE",
    "STYLE_LAYERS",
    "VGGFeatures",
    "vgg19_layer_spec",
]

# torchvision vgg19 "E" configuration: numbers are conv output channels, "M" a 2x2 pooling.
_CFG: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M",
)  # fmt: skip

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# name -> index in torchvision's vgg19().features of the module whose output is tapped
LAYER_INDEX: dict[str, int] = {
    "relu1_1": 1,
    "relu2_1": 6,
    "relu3_1": 11,
    "relu4_1": 20,
    "relu4_2": 22,
    "relu5_1": 29,
}
CONTENT_LAYER = "relu4_2"
STYLE_LAYERS: dict[str, float] = {"relu1_1": 1.0, "relu2_1": 0.8, "relu3_1": 0.5, "relu4_1": 0.3, "relu5_1": 0.1}
MIN_SIDE = 16  # four poolings before relu5_1: anything smaller leaves no pixel there


def vgg19_layer_spec(last: int = 36) -> list[tuple[str, int, int]]:
    """(kind, in_channels, out_channels) for torchvision's vgg19().features[0..last]; kind is conv, relu or pool."""
    spec: list[tuple[str, int, int]] = []
    channels = 3
    for item in _CFG:
        if item == "M":
            spec.append(("pool", channels, channels))
        else:
            spec.append(("conv", channels, int(item)))
            spec.append(("relu", int(item), int(item)))
            channels = int(item)
    return spec[: last + 1]


class VGGFeatures(nn.Module):
    """Frozen VGG19 `features` up to the deepest requested layer; `forward` returns the tapped activations in order."""

    def __init__(
        self,
        state_dict: Mapping[str, Tensor],
        layers: Sequence[str] = (CONTENT_LAYER, *STYLE_LAYERS),
        pooling: Literal["max", "avg"] = "max",
    ) -> None:
        super().__init__()
        unknown = [name for name in layers if name not in LAYER_INDEX]
        if unknown:
            raise ValueError(f"unknown VGG19 layer(s) {unknown}; known: {sorted(LAYER_INDEX)}")
        self.layer_names = tuple(layers)
        self.pooling = pooling
        self._taps = {LAYER_INDEX[name]: i for i, name in enumerate(self.layer_names)}
        last = max(self._taps)
        modules: list[nn.Module] = []
        for index, (kind, cin, cout) in enumerate(vgg19_layer_spec(last)):
            if kind == "conv":
                conv = nn.Conv2d(cin, cout, kernel_size=3, padding=1)
                conv.weight.data.copy_(state_dict[f"features.{index}.weight"])
                conv.bias.data.copy_(state_dict[f"features.{index}.bias"])
                modules.append(conv)
            elif kind == "relu":
                modules.append(nn.ReLU(inplace=True))
            else:
                modules.append(nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2))
        self.layers = nn.ModuleList(modules)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def extra_repr(self) -> str:
        return f"layers={list(self.layer_names)}, pooling={self.pooling!r}"

    def forward(self, x: Tensor) -> list[Tensor]:
        """`x` is an ImageNet-normalised batch (B, 3, H, W); returns one activation per requested layer."""
        if min(x.shape[-2:]) < MIN_SIDE:
            raise ValueError(f"input of {x.shape[-1]}x{x.shape[-2]} px is too small; VGG19 needs >= {MIN_SIDE} px")
        out: list[Tensor | None] = [None] * len(self.layer_names)
        for index, module in enumerate(self.layers):
            x = module(x)
            slot = self._taps.get(index)
            if slot is not None:
                out[slot] = x
        return [t for t in out if t is not None]
