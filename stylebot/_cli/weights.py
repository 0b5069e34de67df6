"""`stylebot weights download` (torchvision's VGG19 ImageNet weights into the torch hub cache) and `weights check`."""

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
    check.set_defaults(func=check_weights)


def download(args: argparse.Namespace, settings: Settings) -> int:
    from engine import IMAGENET_URL, download_imagenet

    path = download_imagenet(hub_dir=args.dir, url=args.url or IMAGENET_URL, progress=sys.stderr.isatty())
    sys.stdout.write(f"{path}\n")
    return 0


def check_weights(args: argparse.Namespace, settings: Settings) -> int:
    from engine import load_weights

    loaded = load_weights(args.weights or settings.weights)
    sys.stdout.write(f"{loaded.kind}: {loaded.source}\n")
    return 0
