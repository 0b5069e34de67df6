"""`stylebot run` with a token fetches missing VGG19 weights first, and stops with one line when it cannot."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from stylebot._cli._first_run import ensure_weights, torch_hub_checkpoint

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    "env",
    [{}, {"TORCH_HOME": "/opt/torch"}, {"XDG_CACHE_HOME": "/srv/cache"}, {"TORCH_HOME": "~/t", "XDG_CACHE_HOME": "/x"}],
)
def test_the_cache_path_is_the_one_torch_hub_uses(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from engine._weights import hub_checkpoint_path

    for name in ("TORCH_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert torch_hub_checkpoint() == hub_checkpoint_path()


def test_cached_or_non_imagenet_weights_need_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    ensure_weights("random")
    ensure_weights(str(tmp_path / "my-vgg.pth"))  # a path is the engine's business
    cached = torch_hub_checkpoint()
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"weights")
    ensure_weights("imagenet")
    assert capsys.readouterr().err == ""


def test_run_with_a_token_and_no_reachable_download_stops_with_one_line_before_starting_anything(
    tmp_path: Path,
) -> None:
    with socket.socket() as s:  # a closed local port as the proxy: the download fails at once, offline
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    kept = (k for k in os.environ if not k.startswith(("STYLEBOT_", "DISCORD_")) and "proxy" not in k.lower())
    env = {k: os.environ[k] for k in kept}
    env.update(
        PYTHONPATH=str(ROOT),
        DISCORD_TOKEN="not-a-real-token",
        STYLEBOT_WEIGHTS="imagenet",
        STYLEBOT_DATA_DIR=str(tmp_path),
        TORCH_HOME=str(tmp_path / "torch"),
        https_proxy=dead,
        HTTPS_PROXY=dead,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "stylebot", "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    assert "downloading them once" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: the engine needs the VGG19 weights")
    assert "started bot" not in proc.stderr and "not-a-real-token" not in proc.stderr
    assert not torch_hub_checkpoint({"TORCH_HOME": env["TORCH_HOME"]}).exists()
