"""`stylebot stylize CONTENT STYLE [STYLE ...] -o OUT`: one stylization on this machine, with a progress bar.

An animated content image (GIF, WebP, APNG) gives an animation: write it to a .gif or .webp (`stylebot._cli._animated`).
Bad input (unreadable image, bad option) exits 2 with one line `error: <reason>`; `--report FILE.json` records the
preset, output size, steps, optimisation seconds (and the instant model's load seconds), the seed objective of the
result (VGG19 with the configured weights, for every preset: `instant` too), device and weights.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from engine.budget import PRESET_NAMES
from stylebot.errors import UsageError
from stylebot.settings import Settings

__all__ = ["ProgressBar", "register"]

logger = logging.getLogger(__name__)

_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".gif": "GIF"}


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("stylize", help="stylize an image with one or more style images (local, no Discord)")
    p.add_argument("content", type=Path, help="content image")
    p.add_argument("styles", type=Path, nargs="+", metavar="style", help="style image(s)")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="output (.png .jpg .webp; .gif or .webp for an animation)",
    )
    p.add_argument(
        "--preset",
        choices=PRESET_NAMES,
        default=None,
        help="fast, seed (the seed's method) or instant (one feed-forward pass); default STYLEBOT_DEFAULT_PRESET",
    )
    p.add_argument("--size", type=int, default=None, help="output short side in px (default: the preset's rule)")
    p.add_argument("--steps", type=int, default=None, help="optimisation steps (fast: at the final scale)")
    p.add_argument("--strength", type=float, default=1.0, help="style strength (1 = the preset's style weight)")
    p.add_argument(
        "--style-weights", type=float, nargs="+", default=None, metavar="W", help="blend weights, one per style"
    )
    p.add_argument("--preserve-colors", action="store_true", help="keep the content image's colours")
    p.add_argument("--tv", type=float, default=0.0, help="total-variation smoothing weight (default 0)")
    p.add_argument("--seed", type=int, default=0, help="seed of the start noise (fast): another seed, another picture")
    p.add_argument("--pooling", choices=("max", "avg"), default="max", help="VGG pooling (default max)")
    p.add_argument("--device", default=None, help="auto, cpu, cuda or mps (default STYLEBOT_DEVICE)")
    p.add_argument(
        "--weights", default=None, help="imagenet, random or a vgg19 state-dict path (default STYLEBOT_WEIGHTS)"
    )
    p.add_argument("--time-limit", type=float, default=None, help="give up after this many seconds")
    p.add_argument(
        "--init",
        choices=("content", "instant"),
        default="content",
        help="fast/seed start: the content or the instant picture",
    )
    p.add_argument("--report", type=Path, default=None, help="write a JSON report here")
    p.set_defaults(func=run)


def _check_args(args: argparse.Namespace) -> None:
    if args.output.suffix.lower() not in _FORMATS:
        raise UsageError(f"output {args.output} must end in .png, .jpg, .jpeg, .webp or .gif")
    if args.size is not None and args.size < 16:
        raise UsageError(f"--size must be at least 16 px, got {args.size}")
    if args.steps is not None and args.steps < 1:
        raise UsageError(f"--steps must be at least 1, got {args.steps}")
    if args.strength < 0 or args.tv < 0:
        raise UsageError("--strength and --tv must be >= 0")
    if args.style_weights is not None:
        if len(args.style_weights) != len(args.styles):
            raise UsageError(
                f"--style-weights has {len(args.style_weights)} values for {len(args.styles)} style images"
            )
        if any(w < 0 for w in args.style_weights) or sum(args.style_weights) <= 0:
            raise UsageError("--style-weights must be >= 0 and not all 0")
    if args.time_limit is not None and args.time_limit <= 0:
        raise UsageError("--time-limit must be positive")


def _read(path: Path, role: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{role} {path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{role} {path}: cannot read ({exc.strerror or exc})") from None


def _load(path: Path, role: str) -> Any:
    from engine.errors import ImageError
    from engine.images import decode_image

    data = _read(path, role)
    try:
        return decode_image(data)
    except ImageError as exc:
        raise UsageError(f"{role} {path}: {exc}") from None


def _frames(data: bytes) -> int:
    from engine.animation import frame_count
    from engine.errors import ImageError

    try:
        return frame_count(data)
    except ImageError:
        return 1  # `_load` already decoded it: a still


class ProgressBar:
    """A one-line progress bar on stderr (a line per 10 % when stderr is not a terminal)."""

    def __init__(self, stream: Any = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._decile = -1

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        done = progress.step >= progress.total
        decile = int(10 * progress.fraction)
        if self.tty and not done and now - self._last < 0.1:
            return
        if not self.tty and not done and decile == self._decile:
            return
        self._last, self._decile = now, decile
        filled = int(self.width * progress.fraction)
        bar = "#" * filled + "." * (self.width - filled)
        frame = f" frame {progress.frame}/{progress.frames}" if getattr(progress, "frames", 1) > 1 else ""
        line = f"[{bar}] {progress.step}/{progress.total}{frame} loss {progress.loss:.4g} {progress.elapsed:.1f}s"
        self.stream.write(("\r" + line + ("\n" if done else "")) if self.tty else line + "\n")
        self.stream.flush()


def run(args: argparse.Namespace, settings: Settings) -> int:
    _check_args(args)
    content_img = _load(args.content, "content image")
    style_imgs = [_load(path, f"style image {i + 1}") for i, path in enumerate(args.styles)]
    import engine

    torch_device = engine.resolve_device(args.device or settings.device)
    params = engine.StyleParams(
        preset=args.preset or settings.default_preset, size=args.size, steps=args.steps, strength=args.strength,
        style_weights=tuple(args.style_weights) if args.style_weights else None, preserve_colors=args.preserve_colors,
        tv=args.tv, seed=args.seed, pooling=args.pooling, device=args.device or settings.device,
        time_limit=args.time_limit, init=args.init,
    )  # fmt: skip
    weights = args.weights or settings.weights
    data = _read(args.content, "content image")
    if _frames(data) > 1:  # an animated content: every frame, warm-started from the previous one (Gatys presets)
        from stylebot._cli._animated import run_animated

        styles = [engine.image_to_tensor(img) for img in style_imgs]
        return run_animated(args, params, weights, data, styles, ProgressBar())
    result, load_seconds = _stylize(params, content_img, style_imgs, weights, settings)
    content = engine.image_to_tensor(content_img)
    styles = [engine.image_to_tensor(img) for img in style_imgs]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    engine.tensor_to_image(result.image).save(args.output, format=_FORMATS[args.output.suffix.lower()])
    for note in result.notes:
        logger.warning("%s", note)
    sys.stdout.write(f"{args.output}\n")
    if args.report is not None:
        _write_report(args, params, result, content, styles, weights, torch_device, load_seconds)
    return 0


def _stylize(params: Any, content: Any, styles: list[Any], weights: str, settings: Settings) -> tuple[Any, float]:
    """The result, and the seconds spent loading the instant model before it (0 for the other presets).

    The instant preset gets the decoded images as they are (no tensor round trip) and its model loaded first, as the
    worker loads its weights at start-up; `result.seconds` is then the stylization alone.
    """
    import engine

    if params.preset != "instant":
        content_t, style_ts = engine.image_to_tensor(content), [engine.image_to_tensor(s) for s in styles]
        return engine.stylize(content_t, style_ts, params, weights=weights, on_progress=ProgressBar()), 0.0
    started = time.monotonic()
    model = engine.load_instant_model(settings.instant_model_dir, device=params.device)
    load_seconds = time.monotonic() - started
    return engine.instant_stylize(content, styles, params, model=model, on_progress=ProgressBar()), load_seconds


def _write_report(
    args: argparse.Namespace, params: Any, result: Any, content: Any, styles: Any, weights: str, device: str,
    load_seconds: float,
) -> None:  # fmt: skip
    import engine

    objective = engine.seed_objective(
        result.image, content, styles, weights=weights, style_weights=params.style_weights, device=device
    )
    report = {
        "preset": params.preset,
        "size": list(result.size),
        "steps": result.steps,
        "seconds": round(result.seconds, 4),
        "model_load_seconds": round(load_seconds, 4),  # instant: loading its network (onnxruntime import included)
        "seed_objective": objective,
        "objective_weights": weights,
        "final_loss": result.final_loss,
        "device": result.device,
        "weights": result.weights,
        "random_weights": result.random_weights,
        "notes": list(result.notes),
        "output": str(args.output),
        "params": params.to_dict(),
    }
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
