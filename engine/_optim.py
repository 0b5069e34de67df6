"""Per-sample optimisers over a (B, C, H, W) batch: each sample's update depends only on its own loss and gradient.

`Adam` matches `torch.optim.Adam` (defaults) element for element. `BatchedLBFGS` is torch.optim.LBFGS without line
search (lr 1, the first step scaled by min(1, 1/|g|₁)), but with every dot product, history entry and step length kept
per sample, so a job's trajectory is the one it would have alone. `keep(rows)` drops finished/cancelled samples.
Curvature pairs use the step actually taken, so a caller may project x (clamp to the valid pixel range) between steps.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["Adam", "BatchedLBFGS"]


def _dot(a: Tensor, b: Tensor) -> Tensor:
    """Per-sample dot product as (B, 1, 1, 1): one pass over both, no full-size product temporary."""
    n = a.shape[0]
    return torch.bmm(a.reshape(n, 1, -1), b.reshape(n, -1, 1)).view(-1, 1, 1, 1)


class Adam:
    """Adam (betas 0.9/0.999, eps 1e-8), as torch.optim.Adam computes it."""

    def __init__(self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.lr, self.betas, self.eps = lr, betas, eps
        self.t = 0
        self.m: Tensor | None = None
        self.v: Tensor | None = None

    def step(self, x: Tensor, grad: Tensor) -> Tensor:
        b1, b2 = self.betas
        if self.m is None or self.v is None:
            self.m, self.v = torch.zeros_like(x), torch.zeros_like(x)
        self.t += 1
        self.m.lerp_(grad, 1 - b1)
        self.v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        step_size = self.lr / (1 - b1**self.t)
        denom = (self.v.sqrt() / (1 - b2**self.t) ** 0.5).add_(self.eps)
        return x.addcdiv(self.m, denom, value=-step_size)

    def keep(self, rows: Tensor) -> None:
        if self.m is not None and self.v is not None:
            self.m, self.v = self.m[rows], self.v[rows]


class BatchedLBFGS:
    """Limited-memory BFGS with a fixed step (lr) and a per-sample history of at most `history` pairs."""

    def __init__(self, lr: float = 1.0, history: int = 50) -> None:
        self.lr, self.history = lr, max(1, history)
        self.s: list[Tensor] = []
        self.y: list[Tensor] = []
        self.ro: list[Tensor] = []
        self.prev_grad: Tensor | None = None
        self.prev_x: Tensor | None = None
        self.direction: Tensor | None = None
        self.t: Tensor | float = lr
        self.h_diag: Tensor | None = None

    def step(self, x: Tensor, grad: Tensor) -> Tensor:
        grad = grad.float()
        if self.prev_grad is None or self.direction is None or self.prev_x is None:
            d = -grad
            self.h_diag = torch.ones(x.shape[0], 1, 1, 1, device=x.device)
            l1 = grad.abs().flatten(1).sum(dim=1).view(-1, 1, 1, 1)
            self.t = torch.clamp(1.0 / l1.clamp_min(1e-30), max=1.0) * self.lr
        else:
            y = grad - self.prev_grad
            s = x.float() - self.prev_x  # the step actually taken (the caller may have projected it)
            ys = _dot(y, s)
            ok = ys > 1e-10
            self.s.append(s)
            self.y.append(y)
            self.ro.append(torch.where(ok, 1.0 / torch.where(ok, ys, torch.ones_like(ys)), torch.zeros_like(ys)))
            if len(self.s) > self.history:
                del self.s[0], self.y[0], self.ro[0]
            yy = _dot(y, y)
            assert self.h_diag is not None
            self.h_diag = torch.where(ok, ys / torch.where(ok, yy, torch.ones_like(yy)), self.h_diag)
            d = self._two_loop(grad)
            self.t = self.lr
        self.prev_grad = grad
        self.prev_x = x.detach().float()
        self.direction = d
        return x + d * self.t

    def _two_loop(self, grad: Tensor) -> Tensor:
        q = -grad
        alphas: list[Tensor] = []
        for s, y, ro in zip(reversed(self.s), reversed(self.y), reversed(self.ro), strict=True):
            a = ro * _dot(s, q)
            q.addcmul_(a, y, value=-1)  # q is our own (from -grad): updated in place, no temporaries
            alphas.append(a)
        assert self.h_diag is not None
        r = q * self.h_diag
        for s, y, ro, a in zip(self.s, self.y, self.ro, reversed(alphas), strict=True):
            b = ro * _dot(y, r)
            r.addcmul_(s, a - b)
        return r

    def keep(self, rows: Tensor) -> None:
        self.s = [s[rows] for s in self.s]
        self.y = [y[rows] for y in self.y]
        self.ro = [ro[rows] for ro in self.ro]
        if self.prev_grad is not None:
            self.prev_grad = self.prev_grad[rows]
        if self.prev_x is not None:
            self.prev_x = self.prev_x[rows]
        if self.direction is not None:
            self.direction = self.direction[rows]
        if isinstance(self.t, Tensor):
            self.t = self.t[rows]
        if self.h_diag is not None:
            self.h_diag = self.h_diag[rows]
