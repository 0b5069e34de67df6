"""Cheap motion between animation frames: global translation by phase correlation, shifting, and a flicker measure.

Pure tensor helpers on (1, 3, H, W) images in [0, 1] (or normalised ones: nothing here depends on the range).
A shift `(dy, dx)` from frame a to frame b means b[y, x] ≈ a[y - dy, x - dx]: the picture moved dy px down and dx px
right.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["change_mask", "estimate_shift", "temporal_flicker", "translate"]

Shift = tuple[int, int]


def _grey(x: Tensor) -> Tensor:
    g = x.float().mean(dim=(0, 1))
    return g - g.mean()


def estimate_shift(a: Tensor, b: Tensor) -> Shift:
    """The global translation from frame `a` to frame `b` (same size), by phase correlation with a Hann window."""
    ga, gb = _grey(a), _grey(b)
    h, w = ga.shape
    window = torch.hann_window(h, periodic=False).view(-1, 1) * torch.hann_window(w, periodic=False).view(1, -1)
    fa, fb = torch.fft.fft2(ga * window), torch.fft.fft2(gb * window)
    cross = fb * fa.conj()
    corr = torch.fft.ifft2(cross / cross.abs().clamp_min(1e-12)).real
    dy, dx = divmod(int(torch.argmax(corr)), w)
    return (dy - h if dy > h // 2 else dy, dx - w if dx > w // 2 else dx)


def translate(x: Tensor, shift: Shift, fill: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """`x` moved by `shift` and a (1, 1, H, W) mask of the pixels it covers; the revealed rest comes from `fill`
    (zeros when None)."""
    dy, dx = shift
    h, w = x.shape[-2:]
    out = torch.zeros_like(x) if fill is None else fill.to(x.dtype).clone()
    valid = torch.zeros((1, 1, h, w), dtype=x.dtype, device=x.device)
    if abs(dy) >= h or abs(dx) >= w:
        return out, valid
    dst = (slice(max(dy, 0), h + min(dy, 0)), slice(max(dx, 0), w + min(dx, 0)))
    src = (slice(max(-dy, 0), h + min(-dy, 0)), slice(max(-dx, 0), w + min(-dx, 0)))
    out[..., dst[0], dst[1]] = x[..., src[0], src[1]]
    valid[..., dst[0], dst[1]] = 1
    return out, valid


def change_mask(previous: Tensor, current: Tensor, shift: Shift, threshold: float = 0.08) -> Tensor:
    """(1, 1, H, W): 1 where `current` is `previous` moved by `shift` (the input did not change there), else 0."""
    moved, valid = translate(previous, shift)
    same = ((current - moved).abs().mean(dim=1, keepdim=True) < threshold).to(current.dtype)
    return same * valid


def temporal_flicker(frames: list[Tensor], shifts: list[Shift]) -> tuple[float, float]:
    """(warped, unwarped) mean absolute difference between consecutive frames, in [0, 1] units: warped compares
    frame t+1 with frame t moved by `shifts[t]` over their overlap; unwarped compares them in place."""
    warped, unwarped = [], []
    for t in range(len(frames) - 1):
        a, b = frames[t].float(), frames[t + 1].float()
        moved, valid = translate(a, shifts[t])
        overlap = valid.expand_as(b)
        warped.append(float(((b - moved).abs() * overlap).sum() / overlap.sum().clamp_min(1)))
        unwarped.append(float((b - a).abs().mean()))
    n = max(1, len(warped))
    return sum(warped) / n, sum(unwarped) / n
