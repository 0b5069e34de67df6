"""How long one blob write + read on the SQLite store holds the event loop: the longest gap between 1 ms ticks.

    .venv/bin/python bench/bench_blob_loop.py

The SQLite store runs short units of work inline on the loop (cheaper than a thread hop, see jobqueue/_db.py);
blobs from 256 KiB up are hashed and written in the store's thread instead. Compare with an idle loop's gaps
(`--idle`) on the same machine: on a busy 2-core VM the idle loop alone shows gaps of ~4 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jobqueue


async def _ticker(gaps: list[float], stop: asyncio.Event) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


async def _longest_stall(work: object) -> float:
    gaps: list[float] = []
    stop = asyncio.Event()
    task = asyncio.create_task(_ticker(gaps, stop))
    await asyncio.sleep(0.02)
    await work  # type: ignore[misc]
    stop.set()
    await task
    return max(gaps)


async def main(sizes: list[int], runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await jobqueue.open_store(f"sqlite+aiosqlite:///{tmp}/q.db")
        idle = [await _longest_stall(asyncio.sleep(0.05)) for _ in range(runs)]
        print(f"idle loop      longest tick gap median {statistics.median(idle) * 1e3:5.1f} ms")
        for mib in sizes:
            worst = []
            for _ in range(runs):
                data = os.urandom(mib * 1024 * 1024)

                async def put_get(data: bytes = data) -> None:
                    await store.get_blob(await store.put_blob(data))

                worst.append(await _longest_stall(put_get()))
            print(f"{mib:>3} MiB put+get longest tick gap median {statistics.median(worst) * 1e3:5.1f} ms")
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 8, 25], help="blob sizes in MiB")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.sizes, args.runs))
