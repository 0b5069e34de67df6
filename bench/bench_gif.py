"""Animated GIF benchmark (not a test): flicker, per-frame objective and cost of `engine.stylize_frames`.

    PYTHONPATH=. python3 bench/bench_gif.py                       # CPU, random weights, tubingen + starry_night
    PYTHONPATH=. python3 bench/bench_gif.py --frames 8 --sizes 128 --weights imagenet

A synthetic pan: the content photo cropped by a window that moves --pan px (at the output size) right per frame.
Prints markdown on stdout (copy it into bench/RESULTS.md):
  1. coherence at --size px over --frames frames: flicker (mean |frame t+1 - frame t moved by the pan| over the overlap,
     on the decoded GIF and WebP files) for `sequential` and `batched` against `independent`, the unwarped difference,
     and each frame's seed objective against the same frame stylized alone (worst frame);
  2. cost: the whole animation against one still of the same size (timed after a warm-up still, so weights, models
     and the style's Gram matrices are ready for both), three ways: wall time, this process's CPU time, and the
     deterministic one, VGG FLOPs: every forward pass the engine runs through a VGG19 model, by its layers, input
     shape and whether a backward pass follows, priced by torch's FLOP formulas (convolutions and matrix products;
     the optimiser's and the losses' own arithmetic is not counted);
  3. a thing moving over a still background (--scene thing): does the stylized thing move with the input (how much
     redder the last frame is where the square is than where it started) and does the background hold (flicker over
     the pixels the square never covers);
  4. seconds per frame at each of --sizes, sequential against batched (--time-frames frames).
--rescale I:K ... runs on the random weights with conv I's weight and bias, and every later conv's bias, scaled by K
(bench_instant.rescaled_weights): the same network with the layers after conv I weighted K^4 in the style loss.
--repair N: at most N local repair steps per later frame (engine._repair; 0: none, as before it existed).
"""

from __future__ import annotations

import argparse
import io
import itertools
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from PIL import Image
from torch.nn.modules.module import register_module_forward_pre_hook
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map
from torch.utils.flop_counter import flop_registry

import engine
from engine._animate import REPAIR_STEPS, AnimateOptions, stylize_frames
from engine._motion import temporal_flicker
from engine._vgg import VGGFeatures
from engine.animation import decode_animation, encode_animation

IMAGES = Path("/work/shared/images")


class _Flops(TorchDispatchMode):
    """Counts the FLOPs of the ops torch has formulas for (no module hooks, so `autograd.grad` still works)."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            shape = lambda t: t.shape if isinstance(t, torch.Tensor) else t  # noqa: E731
            self.total += formula(*tree_map(shape, args), **tree_map(shape, kwargs or {}), out_val=tree_map(shape, out))
        return out


_PRICES: dict[tuple, int] = {}


def _price(model: VGGFeatures, shape: tuple[int, ...], grad: bool) -> int:
    """FLOPs of one forward pass of `model` on `shape` (and of its backward to the input with `grad`)."""
    key = (model.layer_names, model.pooling, shape, grad)
    if key not in _PRICES:
        x = torch.zeros(shape, requires_grad=grad, device=next(model.parameters()).device)
        with _Flops() as counter, torch.set_grad_enabled(grad):
            out = model(x)
            if grad:
                torch.autograd.grad(sum(o.sum() for o in out), x)
        _PRICES[key] = counter.total
    return _PRICES[key]


@contextmanager
def vgg_flops() -> Iterator[list[float]]:
    """Yields a one-item list that holds, on exit, the VGG FLOPs of everything run inside (see the docstring)."""
    calls: Counter[tuple] = Counter()

    def hook(module: torch.nn.Module, args: tuple) -> None:
        if isinstance(module, VGGFeatures):
            grad = torch.is_grad_enabled() and args[0].requires_grad
            calls[(module, tuple(args[0].shape), grad)] += 1

    result = [0.0]
    handle = register_module_forward_pre_hook(hook)
    try:
        yield result
    finally:
        handle.remove()
        result[0] = float(sum(n * _price(*key) for key, n in calls.items()))


@contextmanager
def cost() -> Iterator[dict[str, float]]:
    """Wall s, CPU s of this process and VGG FLOPs of what runs inside, in the yielded dict on exit."""
    out: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    with vgg_flops() as flops:
        yield out
        out.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)  # before the pricing
    out["flops"] = flops[0]


def pan_frames(photo: Path, side: int, frames: int, pan: int) -> list[torch.Tensor]:
    """`frames` crops of `side` x round(4/3 `side`) px (the output size, so the pan is exactly `pan` px there) from
    the photo scaled to leave room for the whole pan, the window moving `pan` px right per frame."""
    img = Image.open(photo).convert("RGB")
    width = round(side * 4 / 3)
    scale = max(side / img.height, (width + pan * frames) / img.width)
    img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS)
    top = (img.height - side) // 2
    return [engine.image_to_tensor(img.crop((pan * t, top, pan * t + width, top + side))) for t in range(frames)]


def through_file(frames: list[torch.Tensor], prefer: str) -> tuple[list[torch.Tensor], int]:
    images = [engine.tensor_to_image(f) for f in frames]
    data, _ = encode_animation(images, [80] * len(images), 0, max_bytes=1 << 40, prefer=prefer)
    return [engine.image_to_tensor(f) for f in decode_animation(data).frames], len(data)


def run(mode: str, contents: list[torch.Tensor], style: torch.Tensor, args: argparse.Namespace, size: int,
        temporal: float = 1.0):  # fmt: skip
    params = engine.StyleParams(size=size, seed=1, device=args.device)
    options = AnimateOptions(mode=mode, temporal=temporal, repair=args.repair)  # type: ignore[arg-type]
    with cost() as spent:
        result = stylize_frames(contents, [style], params, weights=args.weights, options=options)
    return result, spent


def coherence(args: argparse.Namespace, style: torch.Tensor) -> None:
    contents = pan_frames(args.content, args.size, args.frames, args.pan)
    shifts = [(0, -args.pan)] * (args.frames - 1)
    params = engine.StyleParams(size=args.size, seed=1, device=args.device)
    engine.stylize(contents[1], [style], params, weights=args.weights)  # warm-up: weights, models, style Grams
    with cost() as still:
        engine.stylize(contents[0], [style], params, weights=args.weights)
    rows, base = {}, None
    modes = [("independent", 1.0)] + [("sequential", t) for t in args.temporal]
    for mode, temporal in modes + ([("batched", args.temporal[0])] if args.batched else []):
        result, spent = run(mode, contents, style, args, args.size, temporal)
        objective = [
            engine.seed_objective(f, c, [style], weights=args.weights, device=args.device)
            for f, c in zip(result.frames, contents, strict=True)
        ]
        base = base or objective
        flicker = {p: temporal_flicker(through_file(result.frames, p)[0], shifts) for p in ("gif", "webp")}
        raw = temporal_flicker(result.frames, shifts)
        worst = max(o / b for o, b in zip(objective, base, strict=True))
        label = f"{mode} temporal={temporal:g}" if mode != "independent" and len(args.temporal) > 1 else mode
        rows[label] = (flicker, raw, worst, spent)
    ind = rows["independent"]
    print(
        f"\n{args.frames} frames of {args.content.name} at {args.size} px, pan {args.pan} px/frame, style "
        f"{args.style.name}, weights {args.weights_label}, {args.device}; one still: {still['wall']:.1f} s wall, "
        f"{still['cpu']:.1f} s CPU, {still['flops'] / 1e9:.0f} GFLOP\n"
    )
    print(
        "| mode | flicker GIF (vs independent) | flicker WebP (vs ind.) | unwarped GIF | raw flicker | "
        "worst objective / alone | wall s | cost vs one still: wall | CPU | VGG FLOPs |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for mode, (flicker, raw, worst, spent) in rows.items():
        g, w = flicker["gif"], flicker["webp"]
        ratios = " | ".join(f"{spent[k] / still[k]:.1f}x" for k in ("wall", "cpu", "flops"))
        print(
            f"| {mode} | {g[0]:.4f} ({g[0] / ind[0]['gif'][0]:.2f}x) | {w[0]:.4f} ({w[0] / ind[0]['webp'][0]:.2f}x) "
            f"| {g[1]:.4f} | {raw[0]:.4f} | {worst:.2f} | {spent['wall']:.1f} | {ratios} |"
        )


def moving_square(photo: Path, side: int, frames: int, step: int, size: int) -> tuple[list[torch.Tensor], list[int]]:
    """The photo (side px high, 4:3) still, a red square of `size` px moving `step` px right per frame over it;
    returns the frames and the square's left edges."""
    img = engine.image_to_tensor(Image.open(photo).convert("RGB").resize((round(side * 4 / 3), side)))
    top, out, lefts = (side - size) // 2, [], []
    for t in range(frames):
        frame, left = img.clone(), 4 + step * t
        frame[..., top : top + size, left : left + size] = torch.tensor([1.0, 0.1, 0.1]).view(1, 3, 1, 1)
        out.append(frame)
        lefts.append(left)
    return out, lefts


def moving_thing(args: argparse.Namespace, style: torch.Tensor) -> None:
    """A thing moving over a still background: does the stylized thing move with it, and does the background hold?"""
    n, size = 12, args.size // 4
    step = (round(args.size * 4 / 3) - size - 8) // (n - 1)
    contents, lefts = moving_square(args.content, args.size, n, step, size)
    top = (args.size - size) // 2
    print(
        f"\n{n} frames: a {size} px red square moving {step} px/frame over {args.content.name} (still) at "
        f"{args.size} px, weights {args.weights_label}\n"
    )
    print("| mode | last frame: redness at the square minus at its start | background flicker (never covered) |")
    print("|---|---:|---:|")
    never = torch.ones(1, 1, *contents[0].shape[-2:])
    never[..., top - 2 : top + size + 2, max(0, lefts[0] - 2) : lefts[-1] + size + 2] = 0
    for mode in ("independent", "sequential"):
        result, _ = run(mode, contents, style, args, args.size)
        last = result.frames[-1]

        def red(left: int, last: torch.Tensor = last) -> float:
            patch = last[..., top + 2 : top + size - 2, left + 2 : left + size - 2]
            return float((patch[:, 0] - patch[:, 2]).mean())

        frames = result.frames
        flicker = sum(float(((b - a).abs() * never).sum() / (3 * never.sum())) for a, b in itertools.pairwise(frames))
        print(f"| {mode} | {red(lefts[-1]) - red(lefts[0]):+.3f} | {flicker / (n - 1):.4f} |")


def per_frame(args: argparse.Namespace, style: torch.Tensor) -> None:
    print(f"\nseconds per frame ({args.time_frames} frames, {args.device}, weights {args.weights})\n")
    print("| size | sequential s/frame | batched s/frame | independent s/frame |")
    print("|---:|---:|---:|---:|")
    for size in args.sizes:
        contents = pan_frames(args.content, size, args.time_frames, args.pan * size // args.size)
        for mode in ("sequential", "batched"):  # warm-up: weights, models, Grams, the device's kernels
            run(mode, contents[:2], style, args, size)
        cells = []
        for mode in ("sequential", "batched", "independent"):
            _, spent = run(mode, contents, style, args, size)
            cells.append(f"{spent['wall'] / args.time_frames:.2f}")
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
    p.add_argument("--repair", type=int, default=REPAIR_STEPS, help="local repair steps per later frame (0: none)")
    p.add_argument("--scene", choices=("pan", "thing", "both", "none"), default="both",
                   help="the pan (flicker, objective, cost) and/or a thing moving over a still background")  # fmt: skip
    p.add_argument("--rescale", nargs="+", default=[], metavar="I:K", help="rescaled random weights (see above)")
    args = p.parse_args()
    args.weights_label = args.weights
    if args.rescale:
        from bench_instant import rescaled_weights

        scales = {int(i): float(k) for i, k in (item.split(":") for item in args.rescale)}
        path = Path(tempfile.mkdtemp()) / "rescaled.pth"
        args.weights = str(rescaled_weights(path, 0, scales))
        args.weights_label = "random, " + ", ".join(f"conv at features.{i} x{k:g}" for i, k in scales.items())
    torch.manual_seed(0)
    style = engine.image_to_tensor(Image.open(io.BytesIO(args.style.read_bytes())).convert("RGB").resize((256, 203)))
    print(f"{platform.machine()} {torch.get_num_threads()} threads, torch {torch.__version__}")
    if args.scene in ("pan", "both"):
        coherence(args, style)
    if args.scene in ("thing", "both"):
        moving_thing(args, style)
    if not args.skip_timing:
        per_frame(args, style)


if __name__ == "__main__":
    main()
