"""`engine._repair`: the objective computed on a crop is the whole frame's, and the repair moves only its box."""

from __future__ import annotations

import pytest
import torch

import engine
from engine._device import ALL_LAYERS, SHALLOW_LAYERS, get_model
from engine._presets import get_preset
from engine._repair import DILATE, LocalObjective, find_crop, repair
from engine._run import Objective, build_objective
from engine._stylize import _validate
from engine._weights import load_weights
from tests.engine.conftest import smooth_image


def _objective(hw: tuple[int, int], tv: float = 0.0, pooling: str = "max",
               layers: tuple[str, ...] = SHALLOW_LAYERS) -> Objective:  # fmt: skip
    content = smooth_image(*hw, seed=1)
    params = engine.StyleParams(size=min(hw), seed=1, device="cpu", tv=tv, pooling=pooling)
    job = _validate(0, (content, [smooth_image(40, 40, seed=2)], params))
    assert job.scales[-1].hw == hw
    model = get_model(load_weights("random"), pooling, "cpu", False, layers)
    return build_objective(model, [job], hw, get_preset("fast"), "cpu", False)


def _changed(hw: tuple[int, int], rows: slice, cols: slice) -> torch.Tensor:
    out = torch.zeros(hw, dtype=torch.bool)
    out[rows, cols] = True
    return out


def test_a_crop_holds_the_changed_pixels_and_a_band_around_them_inside_fixed_context() -> None:
    crop = find_crop(_changed((128, 171), slice(None), slice(168, None)))  # a pan's revealed strip
    assert crop is not None
    assert crop.box == (0, 128, 168 - DILATE, 171)
    top, bottom, left, right = crop.window
    assert (top, bottom, right) == (0, 128, 171) and left < crop.box[2] and left % 2 == 0
    assert find_crop(torch.zeros(64, 64, dtype=torch.bool)) is None  # nothing changed
    spread = _changed((64, 64), slice(0, 2), slice(0, 2)) | _changed((64, 64), slice(60, 64), slice(60, 64))
    assert find_crop(spread) is None  # the crop would be most of the frame: no saving


@pytest.mark.parametrize(
    ("hw", "tv", "pooling", "rows", "cols"),
    [
        ((128, 171), 0.0, "max", slice(None), slice(168, None)),  # a right strip
        ((129, 173), 1e-3, "avg", slice(None), slice(0, 3)),  # odd size, left strip, total variation
        ((128, 171), 0.0, "max", slice(20, 31), slice(41, 50)),  # inside: context on every side
        ((128, 171), 1e-3, "max", slice(125, None), slice(None)),  # a bottom strip
    ],
)
def test_the_objective_on_the_crop_is_the_whole_frame_s_and_so_is_its_gradient(
    hw: tuple[int, int], tv: float, pooling: str, rows: slice, cols: slice
) -> None:
    objective = _objective(hw, tv, pooling)
    crop = find_crop(_changed(hw, rows, cols))
    assert crop is not None
    x = torch.randn(1, 3, *hw, generator=torch.Generator().manual_seed(0))
    local = LocalObjective(objective, x, crop)
    t, b, lft, r = crop.box
    y = x.clone()
    y[..., t:b, lft:r] += torch.randn(1, 3, b - t, r - lft, generator=torch.Generator().manual_seed(1))
    yg, window = y.clone().requires_grad_(True), crop.of(y).clone().requires_grad_(True)
    whole, on_crop = objective(yg), local(window)
    assert torch.allclose(on_crop, whole, rtol=1e-5), (on_crop, whole)
    (g_whole,) = torch.autograd.grad(whole.sum(), yg)
    (g_crop,) = torch.autograd.grad(on_crop.sum(), window)
    moving = crop.moving(y)
    err = ((crop.of(g_whole) - g_crop) * moving).abs().max() / g_whole.abs().max()
    assert err < 1e-4, err


def test_a_local_objective_refuses_layers_that_see_farther_than_its_halo() -> None:
    crop = find_crop(_changed((128, 128), slice(None), slice(126, None)))
    assert crop is not None
    with pytest.raises(ValueError, match="shallow"):
        LocalObjective(_objective((128, 128), layers=ALL_LAYERS), torch.rand(1, 3, 128, 128), crop)


def test_repair_lowers_the_objective_moving_only_its_box_and_stops_at_the_goal() -> None:
    hw = (128, 160)
    objective = _objective(hw)
    x = torch.randn(1, 3, *hw, generator=torch.Generator().manual_seed(0)) * 0.5
    crop = find_crop(_changed(hw, slice(None), slice(154, None)))
    assert crop is not None
    mask = torch.ones(1, 1, *hw)
    mask[..., 154:] = 0
    before = float(objective(x)[0])
    out, steps = repair(objective, x, crop, (x, mask, before), steps=8, lr=1.0, goal=0.0)
    assert steps == 8
    assert float(objective(out)[0]) < 0.9 * before
    outside = torch.ones_like(x, dtype=torch.bool)
    outside[..., crop.box[0] : crop.box[1], crop.box[2] : crop.box[3]] = False
    assert torch.equal(out[outside], x[outside]) and not torch.equal(out, x)
    same, steps = repair(objective, x, crop, (x, mask, before), steps=8, lr=1.0, goal=before * 1.01)
    assert steps == 0 and torch.equal(same, x)  # already within the goal: not one step
