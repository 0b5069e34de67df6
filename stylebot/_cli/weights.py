"""`stylebot weights download` (torchvision's VGG19 ImageNet weights into the torch hub cache) and `weights check`.

`weights check` prints where the VGG19 weights come from, then the instant preset's model: its folder, files and
size, and that it loads and runs (one pass on a blank image); either failing exits 2 with the reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from stylebot.settings import Settings

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("weights", help="download or check the VGG19 weights")
    sub = p.add_subparsers(dest="weights_command", metavar="ACTION", required=True)
    dl = sub.add_parser("download", help="fetch VGG19_Weights.IMAGENET1K_V1 into the torch hub cache (hash-checked)")
    dl.add_argument("--dir", type=Path, default=None, help="torch hub directory (default: torch.hub.get_dir())")
    dl.add_argument("--url", default=None, help="download from this mirror instead of download.pytorch.org")
    dl.set_defaults(func=download)
    check = sub.add_parser("check", help="say where the configured weights come from, or why they are unusable")
    check.add_argument("--weights", default=None, help="imagenet, random or a path (default STYLEBOT_WEIGHTS)")
    check.add_argument(
        "--instant-model", default=None, help="the instant preset's model folder (default STYLEBOT_INSTANT_MODEL_DIR)"
    )
    check.set_defaults(func=check_weights)


def download(args: argparse.Namespace, settings: Settings) -> int:
    from engine import IMAGENET_URL, download_imagenet

    path = download_imagenet(hub_dir=args.dir, url=args.url or IMAGENET_URL, progress=sys.stderr.isatty())
    sys.stdout.write(f"{path}\n")
    return 0


def check_weights(args: argparse.Namespace, settings: Settings) -> int:
    from engine import check_instant_model, load_weights

    loaded = load_weights(args.weights or settings.weights)
    sys.stdout.write(f"{loaded.kind}: {loaded.source}\n")
    sys.stdout.flush()
    status = check_instant_model(args.instant_model or settings.instant_model_dir, device="cpu")
    files = ", ".join(f"{name} {size:,} B" for name, size in status.files)
    sys.stdout.write(f"instant: {status.path} ({files}; {status.size:,} B in all) loads OK on {status.provider}\n")
    return 0
