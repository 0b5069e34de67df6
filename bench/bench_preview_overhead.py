"""What the preview lane costs a running optimisation on the CPU (not a test): `fast` alone vs beside instant previews.

    PYTHONPATH=. python bench/bench_preview_overhead.py [--size 192] [--share 0.05] [--burst 10] [--runs 2]

One `fast` stylization (tubingen.jpg after starry_night.jpg, random weights) is timed alone and with a thread that
makes instant previews the way `jobqueue.PreviewLane` spends its time: back to back until `--burst` seconds of work
are spent (a flood of new jobs), then one whenever the `--share` allows. Runs alternate (alone, beside, alone, …).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine
from engine.previews import instant_preview

IMAGES = Path(__file__).resolve().parents[2] / "shared" / "images"


def _lane(stop: threading.Event, content: bytes, style: bytes, share: float, burst: float, made: list[float]) -> None:
    credit, at = burst, time.monotonic()
    while not stop.is_set():
        now = time.monotonic()
        credit, at = min(burst, credit + (now - at) * share), now
        if credit < 0:
            stop.wait(-credit / share)
            continue
        started = time.monotonic()
        instant_preview(content, [style], {"preset": "fast"})
        spent = time.monotonic() - started
        credit -= spent
        made.append(spent)


def _stylize(content: bytes, style: bytes, size: int) -> float:
    from engine.images import decode_image

    c = engine.image_to_tensor(decode_image(content))
    s = engine.image_to_tensor(decode_image(style))
    started = time.monotonic()
    engine.stylize(c, [s], engine.StyleParams(size=size, seed=1, device="cpu"), weights="random")
    return time.monotonic() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=192)
    p.add_argument("--share", type=float, default=0.05)
    p.add_argument("--burst", type=float, default=10.0)
    p.add_argument("--runs", type=int, default=2)
    args = p.parse_args()
    content, style = (IMAGES / "tubingen.jpg").read_bytes(), (IMAGES / "starry_night.jpg").read_bytes()
    instant_preview(content, [style], {"preset": "fast"})  # the model loaded, as in a warm engine
    _stylize(content, style, 64)  # torch and the weights warm
    alone, beside, made = [], [], []
    for _ in range(args.runs):
        alone.append(_stylize(content, style, args.size))
        stop = threading.Event()
        lane = threading.Thread(target=_lane, args=(stop, content, style, args.share, args.burst, made))
        lane.start()
        beside.append(_stylize(content, style, args.size))
        stop.set()
        lane.join()
    a, b = statistics.median(alone), statistics.median(beside)
    print(f"| fast at {args.size} px | alone s | beside the lane s | slowdown | previews made (median s each) |")
    print("|---|---:|---:|---:|---:|")
    print(f"| share {args.share:g}, burst {args.burst:g} s | {a:.1f} | {b:.1f} | {100 * (b / a - 1):+.1f} % | "
          f"{len(made)} ({statistics.median(made):.2f}) |")  # fmt: skip
    print(f"runs: alone {[round(x, 1) for x in alone]}, beside {[round(x, 1) for x in beside]}")


if __name__ == "__main__":
    main()
