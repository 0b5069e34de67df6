"""Engine test helpers: seeded random VGG19 weights, synthesized images, tiny sizes, CPU only."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from engine._weights import random_state_dict


def smooth_image(h: int, w: int, seed: int) -> torch.Tensor:
    """A deterministic (1, 3, h, w) image in [0, 1]: smooth colour blobs (never read from disk)."""
    gen = torch.Generator().manual_seed(seed)
    base = torch.rand(1, 3, max(2, h // 8), max(2, w // 8), generator=gen)
    return F.interpolate(base, size=(h, w), mode="bilinear", align_corners=False).clamp(0, 1)


@pytest.fixture
def content() -> torch.Tensor:
    return smooth_image(40, 48, seed=1)


@pytest.fixture
def style() -> torch.Tensor:
    return smooth_image(36, 36, seed=2)


@pytest.fixture
def vgg_file(tmp_path: Path) -> Path:
    """A torchvision-format vgg19 state dict (features + a classifier entry) made from seeded random weights."""
    state = random_state_dict(seed=7)
    state["classifier.0.weight"] = torch.zeros(1)
    path = tmp_path / "vgg19-test.pth"
    torch.save(state, path)
    return path
