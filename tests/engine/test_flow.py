"""`engine._flow`: block motion for warm starts (a pan stays a pan; a moving thing moves; revealed blocks get a
stylized source), and an animation whose moving thing follows the input instead of staying where it was."""

from __future__ import annotations

import torch

import engine
from engine._animate import stylize_frames
from engine._flow import estimate_flow, flow_mask, fresh_pixels, warp
from engine._motion import translate
from tests.engine.conftest import smooth_image
from tests.engine.test_animate import PAN, _pan

RED = torch.tensor([1.0, 0.1, 0.1]).view(1, 3, 1, 1)


def _moving_square(n: int, side: int = 64, size: int = 16, step: int = 6) -> tuple[list[torch.Tensor], list[int]]:
    """A red square moving `step` px right per frame over a still background; returns frames and its left edges."""
    background = smooth_image(side, side + side // 3, seed=5)
    frames, lefts = [], []
    for t in range(n):
        frame, left = background.clone(), 4 + step * t
        frame[..., 24 : 24 + size, left : left + size] = RED
        frames.append(frame)
        lefts.append(left)
    return frames, lefts


def test_a_pan_is_the_global_shift_but_for_the_revealed_border_which_gets_sources_inside_the_frame() -> None:
    a, b = _pan(2)
    flow = estimate_flow(a, b)
    assert flow.shape == (2, 64, 64) and flow.dtype == torch.long
    assert (flow[0, :, :-PAN] == 0).all() and (flow[1, :, :-PAN] == -PAN).all()
    ys = torch.arange(64).view(-1, 1) - flow[0]
    xs = torch.arange(64).view(1, -1) - flow[1]
    assert ((ys >= 0) & (ys < 64) & (xs >= 0) & (xs < 64)).all()  # the border copies pixels that exist
    moved, valid = translate(a, (0, -PAN))
    assert torch.equal(warp(a, flow)[..., :-PAN], moved[..., :-PAN]) and valid[..., :-PAN].all()


def test_a_thing_moving_over_a_still_background_is_followed_and_the_uncovered_background_found() -> None:
    (a, b), lefts = _moving_square(2)
    flow = estimate_flow(a, b)
    square = (slice(24, 40), slice(lefts[1], lefts[1] + 16))
    followed = (warp(a, flow) - b)[..., square[0], square[1]].abs().mean()
    left_behind = (a - b)[..., square[0], square[1]].abs().mean()  # the global shift (none) leaves it behind
    assert followed < 0.25 * left_behind, (followed, left_behind)  # not 0: blocks straddle its edges
    mask = flow_mask(a, b, flow)
    assert mask.mean() > 0.9 and mask[..., :24, :].min() == 1  # the still background above it is tied


def test_fresh_pixels_are_what_a_pan_reveals_and_what_a_moving_thing_brings_not_the_still_background() -> None:
    a, b = _pan(2)
    fresh = fresh_pixels(estimate_flow(a, b), (0, -PAN))
    assert fresh[:, -PAN:].all() and not fresh[:, :-PAN].any()
    (a, b), lefts = _moving_square(2)
    fresh = fresh_pixels(estimate_flow(a, b), (0, 0))
    rows, cols = fresh.nonzero(as_tuple=True)
    assert rows.min() >= 24 - 8 and rows.max() < 40 + 8  # around the square's rows (blocks straddle its edges)
    assert cols.max() < lefts[1] + 16 + 8 and fresh[24:40, lefts[1] + 15].any()  # up to its leading edge
    still = smooth_image(32, 40, seed=1)
    assert not fresh_pixels(estimate_flow(still, still), (0, 0)).any()


def test_flow_mask_frees_what_changed() -> None:
    a = smooth_image(32, 40, seed=1)
    b = a.clone()
    b[..., 10:16, 10:16] = 1 - b[..., 10:16, 10:16]
    mask = flow_mask(a, b, torch.zeros(2, 32, 40, dtype=torch.long))
    assert mask[..., 10:16, 10:16].sum() == 0 and mask.sum() == 32 * 40 - 36


def test_a_moving_thing_moves_in_the_stylized_animation() -> None:
    """A warm start moved by the global shift alone kept the square where it was in the first frame (its old stylized
    pixels); the last frame must show it where the input has it."""
    frames, lefts = _moving_square(4)
    params = engine.StyleParams(size=64, seed=1, device="cpu")
    result = stylize_frames(frames, [smooth_image(48, 48, seed=2)], params, weights="random")
    last = result.frames[-1]

    def redness(left: int) -> float:
        patch = last[..., 26:38, left + 2 : left + 14]
        return float((patch[:, 0] - patch[:, 2]).mean())

    now, then = redness(lefts[-1]), redness(lefts[0])
    assert now > then + 0.2, (now, then)


def test_a_pan_larger_than_the_working_size_stays_exact_and_tiny_frames_work() -> None:
    detail = torch.rand(1, 3, 150, 210, generator=torch.Generator().manual_seed(4))
    big = (smooth_image(300, 420, seed=3) + 0.3 * detail.repeat_interleave(2, -1).repeat_interleave(2, -2)).clamp(0, 1)
    flow = estimate_flow(big[..., :400], big[..., 7:407])  # matched at 128 px, but the pan is 7 px at 300 px
    assert flow.shape == (2, 300, 400)
    assert (flow[0, :, :-7] == 0).all() and (flow[1, :, :-7] == -7).all()
    for h, w in [(16, 16), (17, 23), (16, 160)]:
        a = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(h * w))
        assert warp(a, estimate_flow(a, torch.roll(a, 1, -1))).shape == a.shape
