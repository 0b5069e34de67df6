"""Animated GIF benchmark (not a test): flicker, per-frame objective and cost of `engine.stylize_frames`.

    PYTHONPATH=. python3 bench/bench_gif.py                       # CPU, random weights, tubingen + starry_night
    PYTHONPATH=. python3 bench/bench_gif.py --frames 8 --sizes 128 --weights imagenet

A synthetic pan: the content photo cropped by a window that moves --pan px (at the output size) right per frame.
Prints markdown on stdout (copy it into bench/RESULTS.md):
  1. coherence at --size px over --frames frames: flicker (mean |frame t+1 - frame t moved by the pan| over the overlap,
     on the decoded GIF and WebP files) for `sequential` and `batched` against `independent`, the unwarped difference,
     and each frame's seed objective against the same frame stylized alone (worst frame);
  2. cost: the whole animation's wall time against one still of the same size;
  3. seconds per frame at each of --sizes, sequential against batched (--time-frames frames).
"""

from __future__ import annotations

import argparse
import io
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from PIL import Image

import engine
from engine._animate import AnimateOptions, stylize_frames
from engine._motion import temporal_flicker
from engine.animation import decode_animation, encode_animation

IMAGES = Path("/work/shared/images")


def pan_frames(photo: Path, side: int, frames: int, pan: int) -> list[torch.Tensor]:
    img = Image.open(photo).convert("RGB")
    scale = side / img.height
    img = img.resize((round(img.width * scale), side), Image.Resampling.LANCZOS)
    width = min(img.width - pan * frames, round(side * 4 / 3))
    return [engine.image_to_tensor(img.crop((pan * t, 0, pan * t + width, side))) for t in range(frames)]


def through_file(frames: list[torch.Tensor], prefer: str) -> tuple[list[torch.Tensor], int]:
    images = [engine.tensor_to_image(f) for f in frames]
    data, _ = encode_animation(images, [80] * len(images), 0, max_bytes=1 << 40, prefer=prefer)
    return [engine.image_to_tensor(f) for f in decode_animation(data).frames], len(data)


def run(mode: str, contents: list[torch.Tensor], style: torch.Tensor, args: argparse.Namespace, size: int,
        temporal: float = 1.0):  # fmt: skip
    params = engine.StyleParams(size=size, seed=1, device=args.device)
    started = time.perf_counter()
    options = AnimateOptions(mode=mode, temporal=temporal)  # type: ignore[arg-type]
    result = stylize_frames(contents, [style], params, weights=args.weights, options=options)
    return result, time.perf_counter() - started


def coherence(args: argparse.Namespace, style: torch.Tensor) -> None:
    contents = pan_frames(args.content, args.size, args.frames, args.pan)
    shifts = [(0, -args.pan)] * (args.frames - 1)
    params = engine.StyleParams(size=args.size, seed=1, device=args.device)
    started = time.perf_counter()
    engine.stylize(contents[0], [style], params, weights=args.weights)
    still = time.perf_counter() - started
    rows, base = {}, None
    modes = [("independent", 1.0)] + [("sequential", t) for t in args.temporal]
    for mode, temporal in modes + ([("batched", args.temporal[0])] if args.batched else []):
        result, seconds = run(mode, contents, style, args, args.size, temporal)
        objective = [
            engine.seed_objective(f, c, [style], weights=args.weights, device=args.device)
            for f, c in zip(result.frames, contents, strict=True)
        ]
        base = base or objective
        flicker = {p: temporal_flicker(through_file(result.frames, p)[0], shifts) for p in ("gif", "webp")}
        raw = temporal_flicker(result.frames, shifts)
        worst = max(o / b for o, b in zip(objective, base, strict=True))
        label = f"{mode} temporal={temporal:g}" if mode != "independent" and len(args.temporal) > 1 else mode
        rows[label] = (flicker, raw, worst, seconds)
    ind = rows["independent"]
    print(
        f"\n{args.frames} frames of {args.content.name} at {args.size} px, pan {args.pan} px/frame, style "
        f"{args.style.name}, weights {args.weights}, {args.device}; one still: {still:.1f} s\n"
    )
    print(
        "| mode | flicker GIF (vs independent) | flicker WebP (vs ind.) | unwarped GIF | raw flicker | "
        "worst objective / alone | wall s | cost vs one still |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for mode, (flicker, raw, worst, seconds) in rows.items():
        g, w = flicker["gif"], flicker["webp"]
        print(
            f"| {mode} | {g[0]:.4f} ({g[0] / ind[0]['gif'][0]:.2f}x) | {w[0]:.4f} ({w[0] / ind[0]['webp'][0]:.2f}x) "
            f"| {g[1]:.4f} | {raw[0]:.4f} | {worst:.2f} | {seconds:.1f} | {seconds / still:.1f}x |"
        )


def per_frame(args: argparse.Namespace, style: torch.Tensor) -> None:
    print(f"\nseconds per frame ({args.time_frames} frames, {args.device}, weights {args.weights})\n")
    print("| size | sequential s/frame | batched s/frame | independent s/frame |")
    print("|---:|---:|---:|---:|")
    for size in args.sizes:
        contents = pan_frames(args.content, size, args.time_frames, args.pan * size // args.size)
        cells = []
        for mode in ("sequential", "batched", "independent"):
            _, seconds = run(mode, contents, style, args, size)
            cells.append(f"{seconds / args.time_frames:.2f}")
        print(f"| {size} | " + " | ".join(cells) + " |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--content", type=Path, default=IMAGES / "tubingen.jpg")
    p.add_argument("--style", type=Path, default=IMAGES / "starry_night.jpg")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--frames", type=int, default=24)
    p.add_argument("--pan", type=int, default=3)
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    p.add_argument("--time-frames", type=int, default=4)
    p.add_argument("--weights", default="random")
    p.add_argument("--device", default="cpu")
    p.add_argument("--temporal", type=float, nargs="+", default=[1.0], help="temporal weights to compare")
    p.add_argument("--no-batched", dest="batched", action="store_false", help="skip batched in the coherence table")
    p.add_argument("--skip-timing", action="store_true")
    args = p.parse_args()
    torch.manual_seed(0)
    style = engine.image_to_tensor(Image.open(io.BytesIO(args.style.read_bytes())).convert("RGB").resize((256, 203)))
    print(f"{platform.machine()} {torch.get_num_threads()} threads, torch {torch.__version__}")
    coherence(args, style)
    if not args.skip_timing:
        per_frame(args, style)


if __name__ == "__main__":
    main()
