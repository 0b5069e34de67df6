"""Block motion between two animation frames: where each block of frame b came from in frame a.

The global shift (`engine._motion.estimate_shift`) moves a pan, but not a thing that moves across a still background,
and it has nothing for what a pan reveals. A warm start built on it alone leaves a moving object where it was in the
first frame (its old stylized pixels, which the next frame's few steps never move) and the revealed border without
the new content. So every block of b gets its own source in a:

- **motion**: the best match within `RADIUS` px of the global shift or of no motion at all (a still background
  under a moving thing; the global estimate may follow the thing), by the mean absolute difference over the
  block's pixels whose source is inside a; a small penalty per px away from the nearer of the two keeps flat and
  repetitive regions on it, so a pan stays exactly a pan;
- **analogy**, for a block that nothing nearby matches (revealed, uncovered or new): the most similar block
  anywhere in a. The warm start there is a stylized picture of similar content (image analogies, in the small),
  which the optimisation then fits, instead of raw content or a stale copy that it cannot restyle in a few steps.

It runs on frames scaled to at most `WORK_SIDE` px on the short side (one block is `BLOCK` px there) and returns a
per-pixel field at the full size. A flow `(2, H, W)` of integers (dy, dx) means b[y, x] ≈ a[y - dy, x - dx], as a
`Shift` does; every source is inside a.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from engine._convert import resize
from engine._motion import Shift, estimate_shift

__all__ = ["BLOCK", "WORK_SIDE", "estimate_flow", "flow_mask", "fresh_pixels", "still_flow", "warp"]

WORK_SIDE = 128
BLOCK = 8
RADIUS = 4  # px at the working size around the global shift (farther motion: found as an analogy)
PENALTY = 0.002  # mean |difference| per px away from the nearer of the global shift and no motion
MATCHED = 0.06  # a block whose best nearby match differs more than this (mean, [0, 1] units) is looked up anywhere
STRIDE = 2  # px between the candidate sources of an analogy (coarser on big frames: at most MAX_PATCHES)
MAX_PATCHES = 8192


def _moved_costs(a: Tensor, b: Tensor, offsets: list[Shift]) -> Tensor:
    """(len(offsets), gh, gw): per block of b, the mean |b - a moved by the offset| over the pixels whose source is
    inside a (1 for a block with none)."""
    h, w = b.shape[-2:]
    costs = []
    for dy, dx in offsets:
        diff, inside = torch.zeros(2, 1, h, w)
        if abs(dy) < h and abs(dx) < w:
            dst = (slice(max(dy, 0), h + min(dy, 0)), slice(max(dx, 0), w + min(dx, 0)))
            src = (slice(max(-dy, 0), h + min(-dy, 0)), slice(max(-dx, 0), w + min(-dx, 0)))
            diff[:, dst[0], dst[1]] = (b[0, :, dst[0], dst[1]] - a[0, :, src[0], src[1]]).abs().mean(0)
            inside[:, dst[0], dst[1]] = 1
        total, count = F.avg_pool2d(torch.stack([diff, inside]), BLOCK, ceil_mode=True)[:, 0]
        costs.append(torch.where(count > 0, total / count.clamp_min(1e-6), torch.ones_like(total)))
    return torch.stack(costs)


def _analogies(a: Tensor, b: Tensor, blocks: Tensor) -> Tensor:
    """(n, 2): for the BLOCK x BLOCK blocks of b at `blocks` ((n, 2) block row and column), the motion (dy, dx) from
    the most similar patch of a, among patches on a grid of STRIDE px or coarser (at most MAX_PATCHES of them). A
    block cut by the frame's edge is matched by the whole BLOCK px that end at the edge, so that a revealed strip
    is matched together with the picture it continues."""
    h, w = a.shape[-2:]
    stride = max(STRIDE, math.ceil(math.sqrt((h - BLOCK + 1) * (w - BLOCK + 1) / MAX_PATCHES)))
    patches = F.unfold(a, BLOCK, stride=stride)[0].T  # (positions, 3 * BLOCK²)
    corners = torch.minimum(blocks * BLOCK, torch.tensor([h - BLOCK, w - BLOCK]))
    queries = torch.stack([b[0, :, y : y + BLOCK, x : x + BLOCK].flatten() for y, x in corners.tolist()])
    best = torch.cat([torch.cdist(chunk, patches).argmin(dim=1) for chunk in queries.split(256)])
    across = (w - BLOCK) // stride + 1
    return corners - torch.stack([best // across * stride, best % across * stride], dim=1)


def estimate_flow(a: Tensor, b: Tensor) -> Tensor:
    """The per-pixel flow `(2, H, W)` from frame `a` to frame `b` ((1, 3, H, W) each, same size): see the module."""
    h_full, w_full = b.shape[-2:]
    gy, gx = estimate_shift(a, b)
    f = min(1.0, WORK_SIDE / min(h_full, w_full))
    h, w = max(BLOCK, round(h_full * f)), max(BLOCK, round(w_full * f))
    sa, sb = resize(a.float(), (h, w)), resize(b.float(), (h, w))
    scale = torch.tensor([h / h_full, w / w_full])
    g = (round(gy * h / h_full), round(gx * w / w_full))
    near = [(dy, dx) for dy in range(-RADIUS, RADIUS + 1) for dx in range(-RADIUS, RADIUS + 1)]
    offsets = list(dict.fromkeys([(c[0] + dy, c[1] + dx) for c in (g, (0, 0)) for dy, dx in near]))
    costs = _moved_costs(sa, sb, offsets)
    away = torch.tensor([min(abs(dy - g[0]) + abs(dx - g[1]), abs(dy) + abs(dx)) for dy, dx in offsets],
                        dtype=costs.dtype)  # fmt: skip
    cost, best = (costs + PENALTY * away.view(-1, 1, 1)).min(dim=0)
    motion = torch.tensor(offsets)[best].float() / scale  # (gh, gw, 2) at the full size
    motion[best == offsets.index(g)] = torch.tensor([gy, gx], dtype=motion.dtype)  # exact: a pan stays a pan
    gh, gw = motion.shape[:2]
    rows = (torch.arange(h_full) * scale[0]).long().div(BLOCK, rounding_mode="floor").clamp(max=gh - 1)
    cols = (torch.arange(w_full) * scale[1]).long().div(BLOCK, rounding_mode="floor").clamp(max=gw - 1)
    flow = motion.round().long()[rows][:, cols].permute(2, 0, 1)
    _, _, inside = _sources(flow)
    lost = (cost > MATCHED) | _any_in_block(~inside, rows, cols, (gh, gw))
    if not lost.any():
        return flow.contiguous()
    blocks = lost.nonzero()
    analogy = torch.zeros(gh, gw, 2)
    analogy[lost] = _analogies(sa, sb, blocks).float() / scale
    analogy_flow = analogy.round().long()[rows][:, cols].permute(2, 0, 1)
    use = (cost > MATCHED)[rows][:, cols] | ~inside  # a lost block, or a pixel whose motion leaves the frame
    return torch.where(use, analogy_flow, flow).contiguous()


def _any_in_block(pixels: Tensor, rows: Tensor, cols: Tensor, grid: tuple[int, int]) -> Tensor:
    """(gh, gw): the blocks holding any of the (H, W) `pixels`."""
    out = torch.zeros(grid, dtype=torch.bool)
    ys, xs = pixels.nonzero(as_tuple=True)
    out[rows[ys], cols[xs]] = True
    return out


def still_flow(frame: Tensor) -> Tensor:
    """No motion, for a frame's size."""
    return torch.zeros((2, *frame.shape[-2:]), dtype=torch.long)


def _sources(flow: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(source rows, source columns, in-range mask (H, W)) of a flow, the indices clamped into range."""
    _, h, w = flow.shape
    ys = torch.arange(h).view(-1, 1) - flow[0]
    xs = torch.arange(w).view(1, -1) - flow[1]
    inside = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
    return ys.clamp(0, h - 1), xs.clamp(0, w - 1), inside


def warp(x: Tensor, flow: Tensor) -> Tensor:
    """`x` (B, C, H, W) moved by `flow`: out[y, x] = x[y - dy, x - dx], a source out of range taken at the edge."""
    ys, xs, _ = _sources(flow.to(x.device))
    return x[..., ys, xs]


def fresh_pixels(flow: Tensor, shift: Shift) -> Tensor:
    """(H, W) bool: the pixels new to the warm start: those `shift` (the global motion) brings in from outside the
    frame, and those whose source in `flow` (from `estimate_flow`) is near neither `shift` nor no motion (looked up
    anywhere: uncovered, a fast thing)."""
    h, w = flow.shape[-2:]
    reach = RADIUS / min(1.0, WORK_SIDE / min(h, w)) + 0.5  # RADIUS at the working size, in full-size px
    near = [((flow[0] - dy).abs() <= reach) & ((flow[1] - dx).abs() <= reach) for dy, dx in (shift, (0, 0))]
    _, _, inside = _sources(torch.tensor(shift).view(2, 1, 1).expand(2, h, w))
    return ~(near[0] | near[1]) | ~inside


def flow_mask(previous: Tensor, current: Tensor, flow: Tensor, threshold: float = 0.08) -> Tensor:
    """(1, 1, H, W): 1 where `current` is `previous` moved by `flow` (the input did not change there), else 0."""
    ys, xs, inside = _sources(flow)
    same = (current - previous[..., ys, xs]).abs().mean(dim=1, keepdim=True) < threshold
    return (same & inside).to(current.dtype)
