"""Local repair of a later frame's start: steps on its fresh pixels and a band around them, computed on a crop.

A later frame of an animation starts from the previous result moved (`engine._flow`). The first frame's Gram
matrices are matched so closely that the few new pixels of that start (the strip a pan reveals, an uncovered
background) raise the shallow objective ~200x (bench pan: 3 revealed columns of 171, 7 -> 1560), and a whole-frame
step spends nearly all of its work on pixels that were already right. The style loss is a sum over positions
(G = Σ f·fᵀ) and the shallow layers see ±5 px, so a step on the pixels near the change needs only the features of a
crop around them: the rest of the frame's share of every Gram matrix (and of the total variation) is a constant.
The value computed on the crop is the whole frame's objective exactly (tests/engine/test_repair.py), so the same
early stop applies. On the bench pan, up to 20 such steps on the fresh pixels and `DILATE` px around them, each
~1/6 of a whole-frame step, left ~9 whole-frame steps to do instead of ~21 (bench/RESULTS.md, "Animated GIFs").
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from engine._device import SHALLOW_LAYERS, autocast
from engine._losses import TVLoss, gram, tv_sums
from engine._optim import BatchedLBFGS
from engine._run import Objective, _clamp, _history

__all__ = ["Crop", "LocalObjective", "find_crop", "repair"]

DILATE = 12  # px around the fresh pixels that move too (the band that absorbs their change of the Gram matrices)
MARGIN = 12  # px of fixed context around the moving box: twice the shallow layers' reach (±5 px), rounded up
HALO = 6  # px at the crop's inner sides whose features the crop cannot compute (zero padding there): left out
MAX_SHARE = 0.5  # a crop larger than this share of the frame saves too little: no repair


@dataclass(frozen=True)
class Crop:
    """Where the repair works: `box` (top, bottom, left, right) moves, inside `window` (the same) of fixed context."""

    box: tuple[int, int, int, int]
    window: tuple[int, int, int, int]

    def of(self, x: Tensor) -> Tensor:
        t, b, lft, r = self.window
        return x[..., t:b, lft:r]

    def moving(self, like: Tensor) -> Tensor:
        """(1, 1, h, w) of the window: 1 on the box."""
        t, b, lft, r = self.window
        out = torch.zeros((1, 1, b - t, r - lft), dtype=like.dtype, device=like.device)
        out[..., self.box[0] - t : self.box[1] - t, self.box[2] - lft : self.box[3] - lft] = 1
        return out


def find_crop(changed: Tensor) -> Crop | None:
    """The crop around the (H, W) `changed` pixels (`engine._flow.fresh_pixels`: what the start brings in, not
    where the input differs, which a GIF's palette noise scatters over the frame), or None where there are none or
    the crop would be too big."""
    h, w = changed.shape
    ys, xs = changed.nonzero(as_tuple=True)
    if not len(ys):
        return None
    box = (max(0, int(ys.min()) - DILATE), min(h, int(ys.max()) + 1 + DILATE),
           max(0, int(xs.min()) - DILATE), min(w, int(xs.max()) + 1 + DILATE))  # fmt: skip
    top, left = max(0, box[0] - MARGIN) // 2 * 2, max(0, box[2] - MARGIN) // 2 * 2  # even: the pooling grid holds
    window = (top, min(h, box[1] + MARGIN), left, min(w, box[3] + MARGIN))
    if (window[1] - window[0]) * (window[3] - window[2]) > MAX_SHARE * h * w:
        return None
    return Crop(box, window)


class LocalObjective:
    """The shallow `objective` of a frame whose pixels outside `crop.box` stay as in `x`, computed on the crop."""

    def __init__(self, objective: Objective, x: Tensor, crop: Crop) -> None:
        if objective.has_content or not set(objective.model.layer_names) <= set(SHALLOW_LAYERS):
            raise ValueError("a local objective needs the shallow layers only (their reach is within HALO px)")
        self.objective, self.crop, self.hw = objective, crop, tuple(x.shape[-2:])
        with torch.no_grad():
            whole = self._features(x)
            local = self._features(crop.of(x))
            self.valid = [self._valid(f) for f in local]
            self.sizes = [f[0].numel() for f in whole]
            self.offsets = [gram(f) - gram(g * v) for f, g, v in zip(whole, local, self.valid, strict=True)]
            self.tv_offsets = tv_sums(x) - tv_sums(crop.of(x))

    def _features(self, x: Tensor) -> list[Tensor]:
        with autocast(str(x.device), self.objective.bf16):
            return self.objective.model(x)

    def _valid(self, f: Tensor) -> Tensor:
        """(1, 1, h, w): 1 on the features of the crop that equal the whole frame's (not within HALO px of an
        inner side: the crop's zero padding reaches them)."""
        t, b, lft, r = self.crop.window
        stride = 1 if f.shape[-1] == r - lft else 2  # relu1_1 at full size, relu2_1 after one pooling
        centres = [(torch.arange(n, device=f.device) * stride + (stride - 1) / 2) for n in f.shape[-2:]]
        (ys, xs), (h, w) = centres, self.hw
        rows = ((ys >= HALO) | (t == 0)) & ((ys < b - t - HALO) | (b == h))
        cols = ((xs >= HALO) | (lft == 0)) & ((xs < r - lft - HALO) | (r == w))
        return (rows.view(-1, 1) & cols.view(1, -1)).to(f.dtype).view(1, 1, *f.shape[-2:])

    def __call__(self, window: Tensor) -> Tensor:
        """Per-sample objective of the whole frame, `window` being its crop."""
        o = self.objective
        feats = self._features(window)
        total = torch.zeros(window.shape[0], device=window.device)
        for loss, f, v, off, size in zip(o.styles, feats, self.valid, self.offsets, self.sizes, strict=True):
            total = total + loss.of_gram(off + gram(f * v), size)
        total = o.style_weights * total
        if bool((o.tvs > 0).any()):
            sums = self.tv_offsets + tv_sums(window.float())
            total = total + o.tvs * TVLoss.of_sums(sums, (window.shape[1], *self.hw))
        return total


def repair(objective: Objective, x: Tensor, crop: Crop, tie: tuple[Tensor, Tensor, float], steps: int, lr: float,
           goal: float) -> tuple[Tensor, int]:  # fmt: skip
    """Up to `steps` L-BFGS steps on the pixels of `crop.box` of `x` (one frame, normalised) against `objective`
    plus the temporal tie (target, mask, weight: weight · mean(mask · (x - target)²) over the whole frame, as
    `engine._animate` weighs it); stops once the objective is at most `goal`. Returns (x repaired, steps taken)."""
    target, mask, weight = tie
    local = LocalObjective(objective, x, crop)
    window, moving = crop.of(x), crop.moving(x)
    target, mask = crop.of(target), crop.of(mask)
    opt, taken = BatchedLBFGS(lr, _history(window)), 0
    while taken < steps:
        v = window.detach().requires_grad_(True)
        value = local(v)
        if float(value.detach().max()) <= goal:
            break
        total = value + weight / x[0].numel() * ((v - target) ** 2 * mask).flatten(1).sum(dim=1)
        (grad,) = torch.autograd.grad(total.sum(), v)
        window = torch.where(moving > 0, _clamp(opt.step(window.detach(), grad * moving)), window.detach())
        taken += 1
    out = x.detach().clone()
    t, b, lft, r = crop.window
    out[..., t:b, lft:r] = window.detach()
    return out, taken
