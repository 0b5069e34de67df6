"""Engine worker throughput: jobs/s through the real `Worker` + engine handlers, one job at a time vs batched.

    PYTHONPATH=. python3 bench/bench_worker.py                          # CPU: 64 px, 8 jobs, batch 1 2 4
    PYTHONPATH=. python3 bench/bench_worker.py --device cuda --size 512 --jobs 32 --batch 1 2 4 8 --weights imagenet
    PYTHONPATH=. python3 bench/bench_worker.py --json out.json

Uses `jobqueue.testing.InMemoryJobStore` (no SQL, so it runs where SQLAlchemy is not installed) and measures the whole
path a job takes in `stylebot engine`: claim, blob fetch, decode, optimisation (in a thread), heartbeats and progress,
PNG encode, completion. Every job has the same preset, size and steps and one `batch_key`, so a worker with a batch
size of N claims up to N of them at once and the engine optimises them as one batch. Prints a markdown table
(copy it into bench/RESULTS.md). `random` weights are fine for throughput: the network's shape and work are the same.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw

from jobqueue import JobState, NewJob, StoreOptions, Worker
from jobqueue.testing import InMemoryJobStore
from stylebot.handlers import EngineConfig, make_handlers


def picture(seed: int, size: int) -> bytes:
    """A synthetic image with some structure (stripes and circles), `size` px on the short side."""
    w, h = int(size * 1.25), size
    img = Image.new("RGB", (w, h), ((seed * 67) % 256, (seed * 131) % 256, (seed * 29) % 256))
    draw = ImageDraw.Draw(img)
    for i in range(0, w, max(4, size // 8)):
        draw.line([(i, 0), (w - i, h)], fill=((i * 7 + seed) % 256, 200, 90), width=max(1, size // 32))
    for i in range(4):
        r = size // (3 + i)
        draw.ellipse([w // 2 - r, h // 2 - r, w // 2 + r, h // 2 + r], outline=(250, 250, 250 - 40 * i))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


async def run_case(config: EngineConfig, *, jobs: int, batch: int, params: dict[str, Any]) -> dict[str, Any]:
    store = InMemoryJobStore(StoreOptions())
    style = await store.put_blob(picture(999, params["size"]))
    ids = []
    for i in range(jobs):
        content = await store.put_blob(picture(i, params["size"]))
        new = NewJob(
            user_id=i, content_sha=content, style_shas=(style,), params={**params, "seed": i}, batch_key="bench"
        )
        ids.append((await store.enqueue(new)).id)
    handler, batch_handler = make_handlers(store, config)
    worker = Worker(
        store,
        handler,
        batch_handler=batch_handler if batch > 1 else None,
        batch_size=batch,
        poll_interval=0.01,
        lease_seconds=60,
        device=config.device,
    )
    started = time.perf_counter()
    stats = await worker.run_until_idle()
    wall = time.perf_counter() - started
    done = [await store.get(i) for i in ids]
    failed = [j for j in done if j.state != JobState.SUCCEEDED]
    if failed:
        raise SystemExit(f"{len(failed)} job(s) did not succeed, e.g. job {failed[0].id}: {failed[0].error}")
    engine_seconds = sum(float(j.result_meta["seconds"]) for j in done) / len(done)
    return {
        "batch": batch,
        "jobs": jobs,
        "wall_s": round(wall, 2),
        "jobs_per_s": round(jobs / wall, 3),
        "claims": stats.batches if batch > 1 else stats.claimed,
        "mean_engine_s": round(engine_seconds, 3),
        "device": done[0].result_meta["device"],
        "size": done[0].result_meta["size"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--weights", default="random", help="random | imagenet | path (throughput is the same)")
    parser.add_argument("--size", type=int, default=64, help="output short side in px")
    parser.add_argument("--steps", type=int, default=10, help="L-BFGS steps at the final scale (fast preset)")
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    import engine

    device = engine.resolve_device(args.device)
    config = EngineConfig(weights=args.weights, device=device, max_size=max(args.size, 64))
    params = {"preset": "fast", "size": args.size, "steps": args.steps}

    async def run_all() -> list[dict[str, Any]]:
        await run_case(config, jobs=1, batch=1, params=params)  # warm-up: weights, model, kernels
        return [await run_case(config, jobs=args.jobs, batch=b, params=params) for b in args.batch]

    rows = asyncio.run(run_all())
    base = rows[0]["jobs_per_s"]
    host = f"{platform.machine()} {platform.system()}, device {device}"
    if device.startswith("cuda"):
        import torch

        host += f" ({torch.cuda.get_device_name()})"
    print(
        f"\nworker throughput, {host}, fast preset, {args.size} px, {args.steps} final steps, weights={args.weights}\n"
    )
    print("| batch | jobs | wall s | jobs/s | vs batch 1 | claims | mean engine s/job |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        speedup = r["jobs_per_s"] / base if base else float("nan")
        print(
            f"| {r['batch']} | {r['jobs']} | {r['wall_s']} | {r['jobs_per_s']} | {speedup:.2f} | {r['claims']} "
            f"| {r['mean_engine_s']} |"
        )
    if args.json:
        args.json.write_text(json.dumps({"host": host, "params": params, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
