"""Where weights come from: the hub cache, a state-dict file, explicit random; and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import engine
from engine import StyleParams, WeightsUnavailable
from engine._vgg import VGGFeatures
from engine._weights import IMAGENET_FILENAME, load_weights, random_state_dict

TINY = StyleParams(size=32, steps=2, device="cpu")


def test_random_weights_are_deterministic_and_leave_the_global_rng_alone() -> None:
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a, b = random_state_dict(0), random_state_dict(0)
    assert torch.rand(1) == expected_next
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["features.0.weight"], random_state_dict(1)["features.0.weight"])
    assert len([k for k in a if k.endswith(".weight")]) == 16  # all of vgg19's convs, torchvision layout


def test_random_weights_log_a_loud_warning_and_mark_the_result(content, style, caplog) -> None:
    from engine import _weights

    _weights._loaded.pop("random", None)
    with caplog.at_level("WARNING"):
        result = engine.stylize(content, [style], TINY, weights="random")
    assert "RANDOM VGG19 WEIGHTS" in caplog.text
    assert result.random_weights and result.weights == "random"


def test_weights_load_from_a_state_dict_file(content, style, vgg_file: Path) -> None:
    loaded = load_weights(str(vgg_file))
    assert loaded.kind == "file" and not loaded.random
    assert torch.equal(loaded.state_dict["features.28.weight"], random_state_dict(7)["features.28.weight"])
    result = engine.stylize(content, [style], TINY, weights=str(vgg_file))
    assert result.weights == "file" and not result.random_weights
    assert not any("random" in note for note in result.notes)


def test_imagenet_weights_come_from_the_torch_hub_cache(content, style, vgg_file, tmp_path, monkeypatch) -> None:
    hub = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(hub))
    with pytest.raises(WeightsUnavailable, match="stylebot weights download"):
        engine.stylize(content, [style], TINY, weights="imagenet")
    (hub / "hub" / "checkpoints").mkdir(parents=True)
    (hub / "hub" / "checkpoints" / IMAGENET_FILENAME).write_bytes(vgg_file.read_bytes())
    result = engine.stylize(content, [style], TINY, weights="imagenet")
    assert result.weights == "imagenet" and not result.random_weights


def test_missing_or_malformed_files_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(WeightsUnavailable, match="does not exist"):
        load_weights(str(tmp_path / "nope.pth"))
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsUnavailable, match="not a readable torch state dict"):
        load_weights(str(junk))
    wrong = tmp_path / "wrong.pth"
    torch.save({"features.0.weight": torch.zeros(3)}, wrong)
    with pytest.raises(WeightsUnavailable, match="vgg19 format"):
        load_weights(str(wrong))


def test_stylize_batch_reports_missing_weights_in_every_slot(content, style, tmp_path) -> None:
    missing = str(tmp_path / "missing.pth")
    results = engine.stylize_batch([(content, [style], TINY), (content, [style], TINY)], weights=missing)
    assert all(isinstance(r, WeightsUnavailable) for r in results)


def test_scaled_random_weights_are_the_same_network_with_its_later_layers_k_times_larger() -> None:
    layers = ("relu2_1", "relu3_1", "relu5_1")
    plain = VGGFeatures(random_state_dict(3), layers)
    scaled = VGGFeatures(random_state_dict(3, {10: 2.0}), layers)  # conv3_1
    x = torch.rand(1, 3, 32, 32)
    (a2, a3, a5), (b2, b3, b5) = plain(x), scaled(x)
    assert torch.equal(a2, b2)
    assert torch.allclose(b3, 2 * a3, rtol=1e-5, atol=1e-6) and torch.allclose(b5, 2 * a5, rtol=1e-5, atol=1e-5)
