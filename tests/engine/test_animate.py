"""`engine.stylize_frames` and animated jobs: coherence measured on the decoded output file (CPU, random weights)."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image
from torch.nn.modules.module import register_module_forward_pre_hook

import engine
from engine._animate import AnimateOptions, _deep_layers, _objective, stylize_frames
from engine._device import ALL_LAYERS, SHALLOW_LAYERS
from engine._motion import change_mask, estimate_shift, temporal_flicker, translate
from engine._vgg import VGGFeatures
from engine._weights import random_state_dict
from engine.animation import decode_animation, encode_animation
from engine.errors import Cancelled
from engine.jobs import StepReport, run_style_job
from tests.engine.animated import animated, panning_frames
from tests.engine.conftest import smooth_image

PAN = 3  # px per frame: the window moves right, so the picture moves left
SHIFTS = [(0, -PAN)] * 7


def _pan(n: int = 8, side: int = 64) -> list[torch.Tensor]:
    """A still 'photo' (smooth blobs plus blocky detail) cropped by a window moving PAN px right per frame."""
    h, w = side + 8, side + PAN * n + 8
    detail = torch.rand(1, 3, h // 2 + 1, w // 2 + 1, generator=torch.Generator().manual_seed(9))
    detail = detail.repeat_interleave(2, -1).repeat_interleave(2, -2)[..., :h, :w]
    big = (smooth_image(h, w, seed=3) + 0.3 * detail).clamp(0, 1)
    return [big[..., 4 : 4 + side, 4 + PAN * t : 4 + PAN * t + side] for t in range(n)]


def _through_the_file(frames: list[torch.Tensor]) -> list[torch.Tensor]:
    """The frames as a member sees them: encoded as our GIF (global palette, dithered), then decoded."""
    images = [engine.tensor_to_image(f) for f in frames]
    data, _ = encode_animation(images, [80] * len(images), 0, max_bytes=10**7, prefer="gif")
    return [engine.image_to_tensor(f) for f in decode_animation(data).frames]


def test_phase_correlation_finds_the_translation() -> None:
    a = smooth_image(64, 80, seed=4)
    b, _ = translate(a, (5, -7), fill=a)
    assert estimate_shift(a, b) == (5, -7)
    frames = _pan(3)
    assert estimate_shift(frames[0], frames[1]) == (0, -PAN)


def test_the_change_mask_is_off_where_the_moved_input_changed_or_was_revealed() -> None:
    a = smooth_image(32, 40, seed=4)
    b, _ = translate(a, (0, -3), fill=a)
    b[..., 10:16, 10:16] = (b[..., 10:16, 10:16] + 0.5) % 1  # something in the picture changed
    mask = change_mask(a, b, (0, -3))
    assert mask.shape == (1, 1, 32, 40)
    assert mask[..., -3:].sum() == 0 and mask[..., 10:16, 10:16].sum() == 0
    assert mask[..., 18:, :37].min() == 1 and mask[..., :10, :37].min() == 1


def test_a_later_frame_stops_as_soon_as_it_is_within_stop_of_the_first_and_gives_its_steps_back() -> None:
    seen: list[engine.Progress] = []
    contents, style = _pan(3, side=32), smooth_image(32, 32, seed=2)
    params = engine.StyleParams(size=32, seed=1, device="cpu")
    still = stylize_frames(contents[:1], [style], params, weights="random").steps
    options = AnimateOptions(stop=1e9)  # any start is good enough: a later frame only evaluates its start
    result = stylize_frames(contents, [style], params, weights="random", options=options, on_progress=seen.append)
    assert result.steps == still + 2 == seen[-1].step == seen[-1].total and len(result.frames) == 3
    assert [p.frame for p in seen[-2:]] == [2, 3]


def test_sequential_frames_flicker_at_most_half_as_much_follow_the_motion_and_stay_stylized() -> None:
    contents, style = _pan(), smooth_image(48, 48, seed=2)
    params = engine.StyleParams(size=64, seed=1, device="cpu")

    def run(mode: str) -> tuple[list[torch.Tensor], list[float]]:
        options = AnimateOptions(mode=mode)  # type: ignore[arg-type]
        result = stylize_frames(contents, [style], params, weights="random", options=options)
        pairs = zip(result.frames, contents, strict=True)
        objective = [engine.seed_objective(f, c, [style], weights="random") for f, c in pairs]
        return _through_the_file(result.frames), objective

    alone, alone_objective = run("independent")
    coherent, objective = run("sequential")
    warped, unwarped = temporal_flicker(coherent, SHIFTS)
    warped_alone, _ = temporal_flicker(alone, SHIFTS)
    assert warped <= 0.5 * warped_alone, (warped, warped_alone)
    assert warped < unwarped, (warped, unwarped)  # the frames move with the picture, not frozen
    ratios = [o / a for o, a in zip(objective, alone_objective, strict=True)]
    assert max(ratios) <= 1.5, ratios


def test_progress_names_the_frame_and_counts_every_frame_s_steps() -> None:
    seen: list[engine.Progress] = []
    finished: list[int] = []
    contents = _pan(3, side=32)
    params = engine.StyleParams(size=32, steps=4, seed=1, device="cpu")
    result = stylize_frames(contents, [smooth_image(32, 32, seed=2)], params, weights="random",
                            on_progress=seen.append, on_frame=lambda i, _img: finished.append(i))  # fmt: skip
    assert finished == [0, 1, 2] and len(result.frames) == 3
    assert seen[0].frame == 1 and seen[-1].frame == 3 and {p.frames for p in seen} == {3}
    assert [p.step for p in seen] == list(range(1, len(seen) + 1)) and seen[-1].step == seen[-1].total


def _gif(n: int = 4, loop: int | None = 0) -> bytes:
    return animated(panning_frames(n), "GIF", durations=[60, 70, 80, 90][:n], loop=loop)


STYLE = animated(panning_frames(1, seed=4), "PNG")
TINY = {"preset": "fast", "size": 32, "steps": 3, "seed": 5}


def test_an_animated_job_returns_an_animation_with_the_input_s_frames_durations_and_loop() -> None:
    reports: list[StepReport] = []
    out = run_style_job(_gif(loop=2), [STYLE], TINY, weights="random", device="cpu", on_progress=reports.append)
    anim = decode_animation(out.data)
    assert out.ext in ("gif", "webp") and out.meta["content_type"] == f"image/{out.ext}"
    assert len(anim.frames) == 4 and anim.durations == (60, 70, 80, 90) and anim.loop == 2
    assert out.meta["animated"] is True and out.meta["frames"] == 4 and out.meta["size"] == [38, 32]
    assert [(r.step, r.total) for r in reports] == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert all(Image.open(io.BytesIO(r.preview_png)).size == (38, 32) for r in reports[1:] if r.preview_png)


def test_a_one_frame_gif_is_stylized_as_a_still() -> None:
    out = run_style_job(_gif(1), [STYLE], TINY, weights="random", device="cpu")
    assert out.ext == "png" and "animated" not in out.meta and out.meta["content_type"] == "image/png"


def test_cancel_stops_an_animation_between_steps() -> None:
    calls = iter(range(1000))
    with pytest.raises(Cancelled):  # the cancel arrives while frame 2 runs
        run_style_job(_gif(), [STYLE], TINY, weights="random", device="cpu", should_cancel=lambda: next(calls) > 4)


def test_an_animation_asked_for_with_the_instant_preset_is_optimised_with_fast() -> None:
    import torch

    from engine import StyleParams
    from engine._animate import stylize_frames

    torch.manual_seed(0)
    frames = [torch.rand(1, 3, 32, 32) for _ in range(2)]
    params = StyleParams(preset="instant", steps=1)
    result = stylize_frames(frames, [torch.rand(1, 3, 32, 32)], params, weights="random")
    assert len(result.frames) == 2


def test_the_local_repair_leaves_later_frames_fewer_whole_frame_steps() -> None:
    contents, style = _pan(4), smooth_image(48, 48, seed=2)
    params = engine.StyleParams(size=64, seed=1, device="cpu")
    runs = [stylize_frames(contents, [style], params, weights="random", options=AnimateOptions(repair=n))
            for n in (0, 20)]  # fmt: skip
    without, repaired = runs
    assert repaired.steps < without.steps, (repaired.steps, without.steps)
    # the flicker, motion and objective bounds with the repair on (the default): the test above


def test_batched_frames_are_real_stylizations_and_flicker_less_than_independent_ones() -> None:
    """The joint tie weighs as much as each frame's objective at every step: weighed by the noisy start's objective
    it froze the frames near their start (hundreds of times their alone objective)."""
    contents, style = _pan(4, side=48), smooth_image(48, 48, seed=2)
    params = engine.StyleParams(size=48, seed=1, device="cpu")

    def run(mode: str) -> tuple[float, list[float]]:
        options = AnimateOptions(mode=mode)  # type: ignore[arg-type]
        result = stylize_frames(contents, [style], params, weights="random", options=options)
        pairs = zip(result.frames, contents, strict=True)
        objective = [engine.seed_objective(f, c, [style], weights="random") for f, c in pairs]
        return temporal_flicker(_through_the_file(result.frames), SHIFTS[:3])[0], objective

    alone_flicker, alone = run("independent")
    flicker, objective = run("batched")
    assert max(o / a for o, a in zip(objective, alone, strict=True)) <= 1.5, (objective, alone)
    assert flicker < alone_flicker, (flicker, alone_flicker)


def _rescaled(path: Path, scales: dict[int, float]) -> str:
    """Random weights whose layers from conv `index` on weigh k^4 in the style loss (`random_state_dict`'s scales)."""
    torch.save(random_state_dict(scales=scales), path / "rescaled.pth")
    return str(path / "rescaled.pth")


@pytest.mark.parametrize(
    ("scales", "deepest"),
    [({}, "relu2_1"), ({10: 2.0}, "relu3_1"), ({10: 2.0, 19: 3.0}, "relu4_1"), ({28: 8.0}, None)],
    ids=["random: shallow only", "conv3_1 x2", "conv3_1 x2, conv4_1 x3", "conv5_1 x8: everything"],
)
def test_later_frames_full_steps_go_only_as_deep_as_the_first_frame_s_objective_needs(
    tmp_path: Path, scales: dict[int, float], deepest: str | None
) -> None:
    weights = _rescaled(tmp_path, scales) if scales else "random"
    content, style = _pan(1)[0], smooth_image(48, 48, seed=2)
    params = engine.StyleParams(size=64, seed=1, device="cpu")
    first = engine.stylize(content, [style], params, weights=weights)
    layers = _deep_layers(lambda ls: _objective(first.image, content, [style], params, weights, ls), first.final_loss)
    if deepest is None:
        assert layers == ALL_LAYERS
    else:
        assert layers[-1] == deepest and layers[:2] == SHALLOW_LAYERS and "relu4_2" not in layers, layers


def test_where_relu3_1_weighs_later_frames_never_run_the_whole_network_and_stay_stylized(tmp_path: Path) -> None:
    weights = _rescaled(tmp_path, {10: 2.0})  # relu3_1 holds most of the objective: full steps are needed
    contents, style = _pan(), smooth_image(48, 48, seed=2)
    params = engine.StyleParams(size=64, seed=1, device="cpu")
    calls: Counter[tuple[str, ...]] = Counter()

    def count(module: torch.nn.Module, args: tuple) -> None:
        if isinstance(module, VGGFeatures) and args[0].requires_grad:
            calls[module.layer_names] += 1

    handle = register_module_forward_pre_hook(count)
    try:
        engine.stylize(contents[0], [style], params, weights=weights)
        still, calls = calls, Counter()
        result = stylize_frames(contents, [style], params, weights=weights)
    finally:
        handle.remove()
    assert calls[ALL_LAYERS] == still[ALL_LAYERS]  # the first frame's only
    assert calls[("relu1_1", "relu2_1", "relu3_1")] >= 7  # the later frames' full steps, through relu3_1 alone
    pairs = zip(result.frames, contents, strict=True)
    objective = [engine.seed_objective(f, c, [style], weights=weights) for f, c in pairs]
    alone = [engine.seed_objective(engine.stylize(c, [style], params, weights=weights).image, c, [style],
                                   weights=weights) for c in contents]  # fmt: skip
    assert max(o / a for o, a in zip(objective, alone, strict=True)) <= 1.5, (objective, alone)


def test_the_tie_weighs_as_much_as_the_first_frame_s_shallow_objective_not_what_the_fresh_pixels_cost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Weighed by the moved start's objective (~100x a finished frame's: the fresh pixels' cost), the tie held
    small frames near an imperfect start (a 48 px pan of a photo: 2.29x its alone objective; now 1.36x)."""
    import engine._animate as animate

    weights: list[float] = []
    real = animate.repair

    def spy(*args: Any) -> tuple[torch.Tensor, int]:
        weights.append(args[3][2])  # (objective, x, crop, tie = (target, mask, weight), ...)
        return real(*args)

    monkeypatch.setattr(animate, "repair", spy)
    contents, style = _pan(3), smooth_image(48, 48, seed=2)
    params = engine.StyleParams(size=64, seed=1, device="cpu")
    result = stylize_frames(contents, [style], params, weights="random", options=AnimateOptions(temporal=0.5))
    first = animate._objective(result.frames[0], contents[0], [style], params, "random", SHALLOW_LAYERS)
    assert weights == pytest.approx([0.5 * first] * 2, rel=1e-4)
