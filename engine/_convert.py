"""Pixels in and out, resizing, size rules and colour preservation (pure tensor helpers)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor

from engine._vgg import IMAGENET_MEAN, IMAGENET_STD, MIN_SIDE
from engine.errors import ImageError

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "denormalize",
    "image_to_tensor",
    "normalize",
    "preserve_colors",
    "resize",
    "short_side_shape",
    "tensor_hash",
    "tensor_to_image",
    "validate_image_tensor",
]


def image_to_tensor(img: Image.Image) -> Tensor:
    """A PIL image -> (1, 3, H, W) float32 in [0, 1] (alpha and other modes are converted to RGB first)."""
    import numpy as np

    rgb = img if img.mode == "RGB" else img.convert("RGB")
    array = np.asarray(rgb, dtype=np.uint8).copy()
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)


def tensor_to_image(t: Tensor) -> Image.Image:
    """(1, 3, H, W) or (3, H, W) in [0, 1] -> an RGB PIL image (values are clamped)."""
    from PIL import Image

    if t.dim() == 4:
        if t.shape[0] != 1:
            raise ValueError(f"expected one image, got a batch of {t.shape[0]}")
        t = t[0]
    array = t.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(array, "RGB")


def validate_image_tensor(t: Tensor, what: str) -> Tensor:
    if not isinstance(t, Tensor) or t.dim() != 4 or t.shape[0] != 1 or t.shape[1] != 3:
        shape = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
        raise ImageError(f"{what} must be a 1x3xHxW tensor, got {shape}")
    if min(t.shape[-2:]) < 1:
        raise ImageError(f"{what} is empty")
    if not torch.isfinite(t).all():
        raise ImageError(f"{what} has NaN or infinite values")
    return t.float()


def short_side_shape(h: int, w: int, short: int) -> tuple[int, int]:
    """(h, w) with the short side `short`, the long side truncated as torchvision's Resize(int) does."""
    if h <= w:
        return short, max(int(short * w / h), 1)
    return max(int(short * h / w), 1), short


def resize(x: Tensor, hw: tuple[int, int]) -> Tensor:
    """Bilinear resize (antialiased when shrinking, like PIL's) of a (B, 3, H, W) tensor."""
    if tuple(x.shape[-2:]) == tuple(hw):
        return x
    if min(hw) < MIN_SIDE:
        raise ImageError(f"{hw[1]}x{hw[0]} px is too small; the engine needs at least {MIN_SIDE} px a side")
    return F.interpolate(x, size=hw, mode="bilinear", align_corners=False, antialias=True)


def normalize(x: Tensor) -> Tensor:
    mean = torch.tensor(IMAGENET_MEAN, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - mean) / std


def denormalize(x: Tensor) -> Tensor:
    mean = torch.tensor(IMAGENET_MEAN, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return x * std + mean


def tensor_hash(x: Tensor) -> str:
    """A content hash of a tensor's values and shape (for caches)."""
    data = x.detach().to("cpu", torch.float32).contiguous()
    digest = hashlib.sha256(str(tuple(data.shape)).encode())
    digest.update(data.numpy().tobytes())
    return digest.hexdigest()[:32]


_RGB_TO_YUV = torch.tensor([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]])


def preserve_colors(output: Tensor, content: Tensor) -> Tensor:
    """Keep the output's luminance and the content's chrominance (YUV), so the result has the content's colours."""
    to_yuv = _RGB_TO_YUV.to(output.device, output.dtype)
    to_rgb = torch.linalg.inv(to_yuv)
    content = resize(content.to(output.device, output.dtype), tuple(output.shape[-2:]))
    out_yuv = torch.einsum("ij,bjhw->bihw", to_yuv, output)
    content_yuv = torch.einsum("ij,bjhw->bihw", to_yuv, content)
    mixed = torch.cat([out_yuv[:, :1], content_yuv[:, 1:]], dim=1)
    return torch.einsum("ij,bjhw->bihw", to_rgb, mixed).clamp(0, 1)
