"""The public engine API on CPU with seeded random weights and 32-48 px images."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import engine
from engine import Cancelled, EngineError, JobTimeout, Progress, StyleParams
from engine._presets import schedule
from tests.engine.conftest import smooth_image

FAST = StyleParams(preset="fast", size=32, steps=12, device="cpu")


def _total(params: StyleParams, hw: tuple[int, int] = (32, 38)) -> int:
    return sum(s.steps + s.warmup for s in schedule(params, hw))


def _run(content: torch.Tensor, style: torch.Tensor, params: StyleParams = FAST, **kw: object) -> engine.StylizeResult:
    return engine.stylize(content, [style], params, weights="random", **kw)  # type: ignore[arg-type]


def test_same_seed_gives_the_same_picture_and_another_seed_a_different_one(content, style) -> None:
    a = _run(content, style, dataclasses.replace(FAST, seed=1))
    b = _run(content, style, dataclasses.replace(FAST, seed=1))
    c = _run(content, style, dataclasses.replace(FAST, seed=2))
    assert torch.equal(a.image, b.image)
    assert (a.image - c.image).abs().mean() > 0.02


def test_result_describes_the_run(content, style) -> None:
    result = _run(content, style)
    assert result.image.shape == (1, 3, 32, 38)  # short side 32, long side truncated like torchvision
    assert result.size == (38, 32)
    assert result.steps == _total(FAST) == 12 and result.device == "cpu"
    assert result.weights == "random" and result.random_weights
    assert any("random" in note for note in result.notes)
    assert result.image.min() >= 0 and result.image.max() <= 1


def test_loss_falls_in_the_seed_preset(content, style) -> None:
    losses: list[float] = []
    params = StyleParams(preset="seed", size=32, steps=20, device="cpu")
    _run(content, style, params, on_progress=lambda p: losses.append(p.loss))
    assert len(losses) == 20
    assert losses[-1] < 0.9 * losses[0]


def test_loss_falls_in_the_fast_presets_warm_up_and_full_phases(content, style) -> None:
    seen: list[Progress] = []
    _run(content, style, dataclasses.replace(FAST, steps=60), on_progress=seen.append)
    warm = [p.loss for p in seen if p.warmup]
    full = [p.loss for p in seen if not p.warmup]
    assert len(full) == 3 and len(warm) == 57
    assert seen[0].warmup and not seen[-1].warmup  # the warm-up comes first
    assert warm[-1] < 0.2 * warm[0]
    assert full[-1] < full[0]


def test_seed_preset_starts_from_the_content_and_reports_the_seed_objective(content, style) -> None:
    losses: list[float] = []
    params = StyleParams(preset="seed", size=32, steps=1, device="cpu", seed=5)
    _run(content, style, params, on_progress=lambda p: losses.append(p.loss))
    start = engine.tensor_to_image(content).resize((38, 32))  # not used: the engine resizes tensors itself
    del start
    from engine._convert import resize

    expected = engine.seed_objective(resize(content, (32, 38)), content, [style], weights="random")
    assert losses[0] == pytest.approx(expected, rel=1e-4)


def test_seed_preset_final_loss_matches_seed_objective_of_its_output(content, style) -> None:
    params = StyleParams(preset="seed", size=32, steps=3, device="cpu")
    result = _run(content, style, params)
    objective = engine.seed_objective(result.image, content, [style], weights="random")
    assert objective < engine.seed_objective(content, content, [style], weights="random")


def test_progress_reports_steps_total_and_previews(content, style) -> None:
    seen: list[Progress] = []
    params = dataclasses.replace(FAST, steps=10)
    _run(content, style, params, on_progress=seen.append)
    assert [p.step for p in seen] == list(range(1, _total(params) + 1))
    assert all(p.total == _total(params) for p in seen)
    previews = [p.preview for p in seen if p.preview is not None]
    assert previews and previews[-1].shape == (3, 32, 38)


def test_cancellation_stops_within_one_step(content, style) -> None:
    seen: list[int] = []

    def cancel_at_three(p: Progress) -> None:
        seen.append(p.step)
        if p.step == 3:
            raise Cancelled("job 7 cancelled")

    with pytest.raises(Cancelled, match="job 7"):
        _run(content, style, dataclasses.replace(FAST, steps=50), on_progress=cancel_at_three)
    assert seen == [1, 2, 3]


def test_time_limit_raises_job_timeout(content, style) -> None:
    params = dataclasses.replace(FAST, steps=200, time_limit=0.05)
    seen: list[int] = []
    with pytest.raises(JobTimeout, match="time limit"):
        _run(content, style, params, on_progress=lambda p: seen.append(p.step))
    assert len(seen) < 200


def test_several_styles_blend_and_weights_matter(content) -> None:
    s1, s2 = smooth_image(32, 32, seed=11), smooth_image(32, 32, seed=12)
    mostly_1 = engine.stylize(content, [s1, s2], dataclasses.replace(FAST, style_weights=(9, 1)), weights="random")
    mostly_2 = engine.stylize(content, [s1, s2], dataclasses.replace(FAST, style_weights=(1, 9)), weights="random")
    assert (mostly_1.image - mostly_2.image).abs().mean() > 1e-3
    with pytest.raises(EngineError, match="style weights"):
        engine.stylize(content, [s1, s2], dataclasses.replace(FAST, style_weights=(1,)), weights="random")


def test_preserve_colors_keeps_the_contents_chroma(content, style) -> None:
    from engine._convert import _RGB_TO_YUV, resize

    result = _run(content, style, dataclasses.replace(FAST, preserve_colors=True))
    yuv = torch.einsum("ij,bjhw->bihw", _RGB_TO_YUV, result.image)
    content_yuv = torch.einsum("ij,bjhw->bihw", _RGB_TO_YUV, resize(content, (32, 38)))
    assert (yuv[:, 1:] - content_yuv[:, 1:]).abs().mean() < 0.02


def test_strength_and_tv_change_the_result(content, style) -> None:
    base = _run(content, style)
    weak = _run(content, style, dataclasses.replace(FAST, strength=1e-6))
    smooth = _run(content, style, dataclasses.replace(FAST, tv=1000.0))
    assert (base.image - weak.image).abs().mean() > 1e-3
    tv = lambda t: (t[..., 1:] - t[..., :-1]).abs().mean()  # noqa: E731
    assert tv(smooth.image) < tv(base.image)


def test_bad_inputs_raise_engine_errors(content, style) -> None:
    with pytest.raises(EngineError, match="1x3xHxW"):
        engine.stylize(content[0], [style], FAST, weights="random")
    with pytest.raises(EngineError, match="at least one style"):
        engine.stylize(content, [], FAST, weights="random")
    with pytest.raises(EngineError, match="unknown device"):
        engine.stylize(content, [style], dataclasses.replace(FAST, device="tpu"), weights="random")
    with pytest.raises(EngineError, match="too small"):
        engine.stylize(content, [style], dataclasses.replace(FAST, size=8), weights="random")


def test_image_tensor_round_trip() -> None:
    from PIL import Image

    img = Image.new("RGBA", (5, 3), (255, 128, 0, 255))
    t = engine.image_to_tensor(img)
    assert t.shape == (1, 3, 3, 5) and t.dtype == torch.float32
    assert engine.tensor_to_image(t).getpixel((0, 0)) == (255, 128, 0)


def test_resolve_device() -> None:
    assert engine.resolve_device("cpu") == "cpu"
    assert engine.resolve_device("auto") in ("cpu", "cuda", "mps")
    with pytest.raises(EngineError, match="unknown device"):
        engine.resolve_device("gpu")


@pytest.mark.parametrize("steps", [None, 1, 2, 3, 10, 95, 400])
@pytest.mark.parametrize("hw", [(32, 38), (96, 128), (192, 256), (512, 682)])
def test_fast_schedule_spends_exactly_the_steps_asked_for_and_ends_on_the_full_objective(steps, hw) -> None:
    scales = schedule(StyleParams(steps=steps), hw)
    assert steps is None or sum(s.steps + s.warmup for s in scales) == steps
    assert scales[-1].hw == hw and scales[-1].steps >= 1
    assert [s.hw for s in scales] == sorted(s.hw for s in scales)  # coarse to fine


def test_seed_preset_schedule_is_2400_adam_steps_at_one_scale() -> None:
    from engine._presets import SEED

    assert (SEED.optimizer, SEED.lr, SEED.steps, SEED.style_weight, SEED.content_weight) == (
        "adam",
        0.003,
        2400,
        5e6,
        1,
    )
    assert schedule(StyleParams(preset="seed"), (400, 533)) == [engine._presets.Scale((400, 533), 2400)]


def test_seed_size_rule_keeps_the_short_side_quirk() -> None:
    from engine._presets import output_shape

    seed = StyleParams(preset="seed")
    assert output_shape(seed, 600, 800) == (400, 533)  # min(800, 400) -> short side 400
    assert output_shape(seed, 96, 128) == (128, 170)  # small images are upscaled: short side = long side
    assert output_shape(dataclasses.replace(seed, size=64), 96, 128) == (64, 85)
    assert output_shape(StyleParams(), 96, 128) == (96, 128)  # fast keeps the size, short side capped at 512
    assert output_shape(StyleParams(), 1200, 1600) == (512, 682)


def test_style_grams_are_cached_by_image_and_settings(content, style) -> None:
    from engine._cache import gram_cache

    gram_cache.clear()
    _run(content, style)
    misses = gram_cache.misses
    assert misses > 0
    _run(content, style, dataclasses.replace(FAST, seed=8))  # same style and size: served from the cache
    assert gram_cache.misses == misses and gram_cache.hits > 0
    _run(content, style.flip(-1))  # another style image: computed
    assert gram_cache.misses > misses


def test_fast_keeps_pixels_valid_so_its_loss_is_the_seed_objective_of_its_output(content) -> None:
    harsh_style = (smooth_image(32, 32, seed=21) * 4 - 1.5).clamp(0, 1)  # saturated: pushes pixels out of range
    result = _run(content, harsh_style, dataclasses.replace(FAST, steps=30))
    objective = engine.seed_objective(result.image, content, [harsh_style], weights="random")
    assert objective == pytest.approx(result.final_loss, rel=1e-3)  # polish: final_loss is the output's objective
