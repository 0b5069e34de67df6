"""Gram matrices and the seed's losses, per sample so that jobs sharing a batch never mix.

Every loss returns a (B,) tensor. The seed's definitions: Gram = F·Fᵀ with F of shape (d, h·w), unnormalised; a style
layer's loss = w · mean((G - G_style)²) / (d·h·w); content = mean((F - F_content)²); total = content + 5e6 · style.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["ContentLoss", "StyleLoss", "TVLoss", "gram", "style_targets", "tv_sums"]


class _Gram(torch.autograd.Function):
    """Gram matrices of fp32 features (B, d, h, w), contiguous or channels_last, with a lean backward.

    Autograd's own backward of `F @ F.transpose` does two matmuls and adds two full-size gradients; since F is on
    both sides, dL/dF = (dG + dGᵀ)·F: one matmul, the sum taken on the small d x d side. The gradient is written
    into a fresh tensor of the features' own shape and layout (not a view of a matmul result), so autograd can
    accumulate the next layer's gradient into it in place instead of allocating another full-size sum.
    """

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, features: Tensor) -> Tensor:
        ctx.save_for_backward(features)
        rows, flat = _flat(features)
        return flat.transpose(1, 2) @ flat if rows else flat @ flat.transpose(1, 2)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> Tensor:  # type: ignore[override]
        (features,) = ctx.saved_tensors  # type: ignore[attr-defined]
        with torch.autocast(features.device.type, enabled=False):
            sym = grad + grad.transpose(1, 2)
            rows, flat = _flat(features)
            out = torch.empty_like(features)
            _, out_flat = _flat(out)
            if rows:
                torch.matmul(flat, sym, out=out_flat)
            else:
                torch.matmul(sym, flat, out=out_flat)
            return out


def _flat(f: Tensor) -> tuple[bool, Tensor]:
    """(True, (B, h·w, d)) for channels_last features, else (False, (B, d, h·w)); views, no copies."""
    b, d, h, w = f.shape
    if f.is_contiguous(memory_format=torch.channels_last) and not f.is_contiguous():
        return True, f.permute(0, 2, 3, 1).reshape(b, h * w, d)
    return False, f.reshape(b, d, h * w)


def gram(features: Tensor) -> Tensor:
    """(B, d, h, w) -> (B, d, d) unnormalised Gram matrices, computed in fp32 (also under autocast)."""
    with torch.autocast(features.device.type, enabled=False):
        return _Gram.apply(features.float())


def style_targets(grams: Sequence[Tensor], blend: Sequence[float]) -> Tensor:
    """Blend the Gram matrices of several style images (each (1, d, d)) with weights that sum to 1."""
    total = float(sum(blend))
    out = grams[0] * (blend[0] / total)
    for g, w in zip(grams[1:], blend[1:], strict=True):
        out = out + g * (w / total)
    return out


def _per_sample_mean(x: Tensor) -> Tensor:
    return x.flatten(1).mean(dim=1)


class ContentLoss(nn.Module):
    """mean((F - F_content)²) per sample; the target is a buffer so `.to(device)` moves it."""

    def __init__(self, target: Tensor) -> None:
        super().__init__()
        self.register_buffer("target", target.detach())

    def forward(self, features: Tensor) -> Tensor:
        return _per_sample_mean((features.float() - self.target.float()) ** 2)


class StyleLoss(nn.Module):
    """weight · mean((G - G_target)²) / (d·h·w) per sample; `target` is (B, d, d) and `weight` a float or (B,)."""

    def __init__(self, target: Tensor, weight: float = 1.0) -> None:
        super().__init__()
        self.register_buffer("target", target.detach().float())
        self.weight = weight

    def extra_repr(self) -> str:
        return f"weight={self.weight}"

    def forward(self, features: Tensor) -> Tensor:
        return self.of_gram(gram(features), features[0].numel())

    def of_gram(self, g: Tensor, size: int) -> Tensor:
        """The loss of the Gram matrices `g` of features of `size` = d·h·w elements per sample (a Gram matrix may be
        assembled from parts: `engine._repair`)."""
        return self.weight * _per_sample_mean((g - self.target) ** 2) / size


def tv_sums(x: Tensor) -> Tensor:
    """(B, 2): per sample, the sums of squared differences of horizontal and of vertical neighbours."""
    dx = ((x[..., :, 1:] - x[..., :, :-1]) ** 2).flatten(1).sum(dim=1)
    dy = ((x[..., 1:, :] - x[..., :-1, :]) ** 2).flatten(1).sum(dim=1)
    return torch.stack([dx, dy], dim=1)


class TVLoss(nn.Module):
    """Total variation: mean squared difference of neighbouring pixels, per sample."""

    def forward(self, x: Tensor) -> Tensor:
        return self.of_sums(tv_sums(x), tuple(x.shape[-3:]))

    @staticmethod
    def of_sums(sums: Tensor, chw: tuple[int, ...]) -> Tensor:
        """The loss from `tv_sums` (which may be assembled from parts) of images of `chw` = (C, H, W)."""
        c, h, w = chw
        return sums[:, 0] / (c * h * (w - 1)) + sums[:, 1] / (c * (h - 1) * w)
