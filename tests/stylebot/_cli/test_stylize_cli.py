"""`stylebot stylize` and `stylebot weights`: exit codes, one-line errors, the report."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from stylebot.cli import main

ROOT = Path(__file__).resolve().parents[3]


def _png(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> Path:
    img = Image.new("RGB", size, colour)
    for x in range(0, size[0], 4):  # some structure for the style to have texture
        for y in range(size[1]):
            img.putpixel((x, y), (255 - colour[0], colour[1], 255 - colour[2]))
    img.save(path)
    return path


@pytest.fixture
def images(tmp_path: Path) -> tuple[Path, Path]:
    content = _png(tmp_path / "content.png", (48, 40), (200, 40, 40))
    return content, _png(tmp_path / "style.png", (32, 32), (10, 90, 200))


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "STYLEBOT_WEIGHTS": "random", "STYLEBOT_DEVICE": "cpu"}
    cmd = [sys.executable, "-m", "stylebot", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=full_env | (env or {}))


def test_stylize_writes_the_image_and_a_report(images, tmp_path: Path) -> None:
    content, style = images
    out, report = tmp_path / "out" / "result.png", tmp_path / "report.json"
    proc = _cli("stylize", str(content), str(style), "-o", str(out), "--size", "32", "--steps", "3",
                "--seed", "4", "--report", str(report))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert Image.open(out).size == (38, 32)
    data = json.loads(report.read_text())
    assert data["preset"] == "fast" and data["size"] == [38, 32] and data["steps"] == 3
    assert data["device"] == "cpu" and data["weights"] == "random" and data["random_weights"] is True
    assert data["seconds"] > 0 and data["seed_objective"] > 0
    assert "3/3" in proc.stderr  # the progress bar
    assert "RANDOM VGG19 WEIGHTS" in proc.stderr


def test_a_non_image_exits_2_with_one_line_and_no_traceback(images, tmp_path: Path) -> None:
    _, style = images
    text = tmp_path / "notes.png"
    text.write_text("hello, I am not a picture\n")
    proc = _cli("stylize", str(text), str(style), "-o", str(tmp_path / "o.png"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: content image") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--style-weights", "1", "2"], "--style-weights has 2 values for 1 style images"),
        (["--size", "4"], "--size must be at least 16"),
        (["--steps", "0"], "--steps must be at least 1"),
        (["--device", "tpu"], "unknown device"),
        (["--preset", "slow"], "invalid choice"),
    ],
)
def test_bad_options_exit_2_with_a_reason(images, tmp_path: Path, capsys, extra, message) -> None:
    content, style = images
    with pytest.raises(SystemExit) if extra[0] == "--preset" else contextlib.nullcontext():
        code = main(["stylize", str(content), str(style), "-o", str(tmp_path / "o.png"), *extra])
        assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_missing_files_and_bad_output_names_exit_2(images, tmp_path: Path, capsys) -> None:
    content, style = images
    assert main(["stylize", str(tmp_path / "nope.png"), str(style), "-o", str(tmp_path / "o.png")]) == 2
    assert "content image" in capsys.readouterr().err
    assert main(["stylize", str(content), str(style), "-o", str(tmp_path / "o.bmp")]) == 2
    assert "must end in .png" in capsys.readouterr().err


def test_missing_imagenet_weights_are_refused_clearly(images, tmp_path: Path, capsys, monkeypatch) -> None:
    content, style = images
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    argv = ["stylize", str(content), str(style), "-o", str(tmp_path / "o.png"), "--weights", "imagenet", "--size", "32"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "stylebot weights download" in err and not (tmp_path / "o.png").exists()


def test_weights_download_failure_exits_2_and_leaves_nothing(tmp_path: Path, capsys) -> None:
    argv = ["weights", "download", "--dir", str(tmp_path), "--url", "http://127.0.0.1:9/vgg19-dcbb9e9d.pth"]
    assert main(argv) == 2
    assert "downloading VGG19 weights" in capsys.readouterr().err
    assert not list((tmp_path / "checkpoints").glob("*.pth"))


def test_weights_check_names_the_source(tmp_path: Path, capsys) -> None:
    assert main(["weights", "check", "--weights", "random"]) == 0
    assert capsys.readouterr().out.startswith("random")
    assert main(["weights", "check", "--weights", str(tmp_path / "missing.pth")]) == 2


def test_the_instant_preset_reports_its_seed_objective_without_a_random_weights_note(images, tmp_path: Path) -> None:
    content, style = images
    out, report = tmp_path / "instant.png", tmp_path / "report.json"
    proc = _cli("stylize", str(content), str(style), "-o", str(out), "--size", "32", "--report", str(report),
                env={"STYLEBOT_DEFAULT_PRESET": "instant"})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert Image.open(out).size == (38, 32)
    data = json.loads(report.read_text())
    assert (data["preset"], data["steps"], data["weights"]) == ("instant", 1, "magenta-onnx")
    assert data["random_weights"] is False
    assert data["seed_objective"] > 0 and data["objective_weights"] == "random" and data["notes"] == []


def test_a_missing_instant_model_exits_2_naming_the_folder(images, tmp_path: Path) -> None:
    content, style = images
    missing = tmp_path / "no-models"
    proc = _cli("stylize", str(content), str(style), "-o", str(tmp_path / "o.png"), "--preset", "instant",
                env={"STYLEBOT_INSTANT_MODEL_DIR": str(missing)})  # fmt: skip
    assert proc.returncode == 2 and f"instant model {missing}: no such folder" in proc.stderr
    checked = _cli("weights", "check", env={"STYLEBOT_INSTANT_MODEL_DIR": str(missing)})
    assert checked.returncode == 2 and checked.stdout.startswith("random")
    assert _cli("weights", "check").stdout.splitlines()[1].endswith("loads OK on CPUExecutionProvider")


def test_stylize_turns_an_animated_gif_into_an_animation(images, tmp_path: Path) -> None:
    from engine.animation import decode_animation
    from tests.engine.animated import animated, panning_frames

    _, style = images
    clip = tmp_path / "clip.gif"
    clip.write_bytes(animated(panning_frames(3), "GIF", durations=[70, 80, 90], loop=0))
    out = tmp_path / "out.gif"
    proc = _cli("stylize", str(clip), str(style), "-o", str(out), "--size", "32", "--steps", "3")
    assert proc.returncode == 0, proc.stderr
    anim = decode_animation(out.read_bytes())
    assert len(anim.frames) == 3 and anim.durations == (70, 80, 90) and anim.size == (38, 32)
    assert "frame 3/3" in proc.stderr
    bad = _cli("stylize", str(clip), str(style), "-o", str(tmp_path / "out.png"), "--size", "32")
    assert bad.returncode == 2 and "must end in .gif or .webp" in bad.stderr
