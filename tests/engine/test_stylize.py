"""The public engine API on CPU with seeded random weights and 32-48 px images."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import engine
from engine import Cancelled, EngineError, JobTimeout, Progress, StyleParams
from tests.engine.conftest import smooth_image

FAST = StyleParams(preset="fast", size=32, steps=6, device="cpu")


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
    assert result.steps == 6 and result.device == "cpu"
    assert result.weights == "random" and result.random_weights
    assert any("random" in note for note in result.notes)
    assert result.image.min() >= 0 and result.image.max() <= 1


@pytest.mark.parametrize(("preset", "steps", "factor"), [("fast", 8, 0.2), ("seed", 20, 0.9)])
def test_loss_falls(content, style, preset, steps, factor) -> None:
    losses: list[float] = []
    params = StyleParams(preset=preset, size=32, steps=steps, device="cpu")
    _run(content, style, params, on_progress=lambda p: losses.append(p.loss))
    assert len(losses) == steps
    assert losses[-1] < factor * losses[0]


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
    _run(content, style, dataclasses.replace(FAST, steps=10), on_progress=seen.append)
    assert [p.step for p in seen] == list(range(1, 11))
    assert all(p.total == 10 for p in seen)
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
