from __future__ import annotations

import torch

from engine._optim import Adam, BatchedLBFGS


def _loss(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """A per-sample smooth non-quadratic function."""
    return ((x - a) ** 2).flatten(1).sum(1) + 0.1 * (x**4).flatten(1).sum(1)


def _grad(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(_loss(x, a).sum(), x)
    return g


def test_adam_matches_torch_optim_adam() -> None:
    a = torch.randn(2, 3, 4, 4)
    x0 = torch.randn(2, 3, 4, 4)
    ref = x0.clone().requires_grad_(True)
    torch_adam = torch.optim.Adam([ref], lr=0.003)
    mine, ours = Adam(0.003), x0.clone()
    for _ in range(25):
        torch_adam.zero_grad()
        _loss(ref, a).sum().backward()
        torch_adam.step()
        ours = mine.step(ours, _grad(ours, a))
    torch.testing.assert_close(ours, ref.detach(), rtol=1e-5, atol=1e-6)


def test_lbfgs_matches_torch_lbfgs_without_line_search_for_one_sample() -> None:
    a = torch.randn(1, 3, 4, 4)
    x0 = torch.randn(1, 3, 4, 4)
    ref = x0.clone().requires_grad_(True)
    torch_lbfgs = torch.optim.LBFGS([ref], lr=1, max_iter=1, history_size=5, tolerance_grad=0, tolerance_change=0)

    def closure() -> torch.Tensor:
        torch_lbfgs.zero_grad()
        loss = _loss(ref, a).sum()
        loss.backward()
        return loss

    mine, ours = BatchedLBFGS(1.0, history=5), x0.clone()
    for _ in range(12):
        torch_lbfgs.step(closure)
        ours = mine.step(ours, _grad(ours, a))
    torch.testing.assert_close(ours, ref.detach(), rtol=1e-4, atol=1e-5)


def test_lbfgs_rows_follow_the_trajectory_they_would_have_alone() -> None:
    a = torch.randn(3, 3, 5, 5)
    x0 = torch.randn(3, 3, 5, 5) * torch.tensor([1.0, 10.0, 0.1]).view(3, 1, 1, 1)
    batch, xb = BatchedLBFGS(1.0, history=4), x0.clone()
    alone, xa = BatchedLBFGS(1.0, history=4), x0[1:2].clone()
    for _ in range(10):
        xb = batch.step(xb, _grad(xb, a))
        xa = alone.step(xa, _grad(xa, a[1:2]))
    torch.testing.assert_close(xb[1:2], xa)
    assert _loss(xb, a).max() < _loss(x0, a).min()


def test_dropping_rows_keeps_the_remaining_trajectories() -> None:
    a = torch.randn(2, 3, 4, 4)
    x0 = torch.randn(2, 3, 4, 4)
    batch, xb = BatchedLBFGS(1.0), x0.clone()
    alone, xa = BatchedLBFGS(1.0), x0[1:].clone()
    for step in range(8):
        if step == 3:
            rows = torch.tensor([1])
            batch.keep(rows)
            xb, a_b = xb[rows], a[1:]
        xb = batch.step(xb, _grad(xb, a if step < 3 else a_b))
        xa = alone.step(xa, _grad(xa, a[1:]))
    torch.testing.assert_close(xb, xa)
