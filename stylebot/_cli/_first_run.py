"""First start of `stylebot run` with a token: fetch the VGG19 weights the engine needs, once, before starting it.

The engine refuses to start without its weights (rather than fail every job), so `make run` on a fresh clone would
stop at once; this downloads them into the torch hub cache first (548 MB, once; `stylebot weights download` in a
child process, with its progress) and says what to do when that fails. Checking the cache needs no torch import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stylebot._cli._children import child_env
from stylebot.errors import UsageError

__all__ = ["ensure_weights", "torch_hub_checkpoint"]

IMAGENET_FILENAME = "vgg19-dcbb9e9d.pth"  # = engine.hub_checkpoint_path().name (torch-free here)


def torch_hub_checkpoint(env: dict[str, str] | None = None) -> Path:
    """Where torch.hub keeps the checkpoint: $TORCH_HOME/hub, else $XDG_CACHE_HOME/torch/hub, else ~/.cache/…"""
    env = dict(os.environ) if env is None else env
    cache = env.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    torch_home = env.get("TORCH_HOME") or os.path.join(cache, "torch")
    return Path(torch_home).expanduser() / "hub" / "checkpoints" / IMAGENET_FILENAME


def ensure_weights(configured: str) -> None:
    """With STYLEBOT_WEIGHTS=imagenet and nothing cached, download the weights now; a failure is a UsageError."""
    if configured != "imagenet" or torch_hub_checkpoint().is_file():
        return
    sys.stderr.write(f"VGG19 ImageNet weights are not cached yet ({torch_hub_checkpoint()}): downloading them once…\n")
    done = subprocess.run([sys.executable, "-m", "stylebot", "weights", "download"], env=child_env(), check=False)
    if done.returncode != 0:
        raise UsageError(
            "the engine needs the VGG19 weights and downloading them failed; run `stylebot weights download` "
            "(--url for a mirror), copy vgg19-dcbb9e9d.pth into the torch hub cache, or set STYLEBOT_WEIGHTS "
            "to a state-dict file (README: Weights)"
        )
