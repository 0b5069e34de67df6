"""Queue throughput: no-op jobs/s (enqueue → claim → complete) and claim latency, 1/2/4 worker processes,
SQLite and PostgreSQL, through the public `JobStore` API.

    PYTHONPATH=. python3 bench/bench_queue.py                      # SQLite + a throwaway PostgreSQL (if installed)
    PYTHONPATH=. python3 bench/bench_queue.py --n 5000 --workers 1 2 4 --backends sqlite
    PYTHONPATH=. python3 bench/bench_queue.py --pg-url postgresql+asyncpg://user@host/db # an existing server (emptied!)
    PYTHONPATH=. python3 bench/bench_queue.py --breakdown          # where the time of one job goes (SQLite)

Each measurement starts from a fresh database: N jobs are enqueued (one transaction each, as the bot does), then W
worker processes (forked, connected, waiting at a barrier) claim one job at a time, run a no-op and complete it
until the queue is empty. `jobs/s` = N / (enqueue + drain) like the peer harness in ../shared/peers/queues;
`drain/s` = N / drain; claim latency is the wall time of each `claim()` call in the workers. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jobqueue
from jobqueue import JobState, NewJob

MP = mp.get_context("fork")


async def enqueue(url: str, n: int) -> float:
    store = await jobqueue.open_store(url)
    try:
        sha = await store.put_blob(b"no-op content")
        t0 = time.perf_counter()
        for i in range(n):
            await store.enqueue(NewJob(user_id=i % 16, content_sha=sha, style_shas=(sha,), params={"i": i}))
        return time.perf_counter() - t0
    finally:
        await store.close()


async def settle(url: str) -> None:
    """PostgreSQL: ANALYZE between enqueue and drain (untimed, like the peer harness): a never-analyzed table can
    get a sequential-scan plan that a running deployment's autovacuum would have replaced."""
    if not url.startswith("postgresql"):
        return
    store = await jobqueue.open_store(url, migrate=False)
    try:
        await store.db.write(lambda tx: tx.conn.exec_driver_sql("ANALYZE jobs"))
    finally:
        await store.close()


async def _work(url: str, name: str, barrier: Any, out: Any) -> None:
    store = await jobqueue.open_store(url, migrate=False)
    claims: list[float] = []
    try:
        barrier.wait(timeout=120)
        while True:
            t0 = time.perf_counter()
            jobs = await store.claim(name, lease_seconds=60)
            claims.append(time.perf_counter() - t0)
            if not jobs:
                break
            for job in jobs:
                await store.complete(job, result=b"", meta={})
    finally:
        await store.close()
    out.send(claims[:-1])  # the last claim found the queue empty


def _worker(url: str, name: str, barrier: Any, out: Any) -> None:
    asyncio.run(_work(url, name, barrier, out))


def drain(url: str, workers: int) -> tuple[float, list[float]]:
    barrier = MP.Barrier(workers + 1)
    pipes = [MP.Pipe(duplex=False) for _ in range(workers)]
    procs = [MP.Process(target=_worker, args=(url, f"w{i}", barrier, pipes[i][1])) for i in range(workers)]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    t0 = time.perf_counter()
    latencies = [x for recv, _ in pipes for x in recv.recv()]
    for p in procs:
        p.join(600)
    elapsed = time.perf_counter() - t0
    if any(p.exitcode != 0 for p in procs):
        raise RuntimeError(f"worker exit codes {[p.exitcode for p in procs]}")
    return elapsed, latencies


async def count_done(url: str) -> int:
    store = await jobqueue.open_store(url, migrate=False)
    try:
        return (await store.stats()).counts[JobState.SUCCEEDED]
    finally:
        await store.close()


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1e6 if len(values) > 1 else float("nan")


def measure(make_url: Any, n: int, workers: int) -> dict[str, Any]:
    url = make_url()
    enq = asyncio.run(enqueue(url, n))
    asyncio.run(settle(url))
    drained, lat = drain(url, workers)
    done = asyncio.run(count_done(url))
    if done != n:
        raise RuntimeError(f"{done} of {n} jobs succeeded")
    return {
        "workers": workers,
        "jobs_per_s": n / (enq + drained),
        "enqueue_per_s": n / enq,
        "drain_per_s": n / drained,
        "claim_p50_us": _pct(lat, 50),
        "claim_p99_us": _pct(lat, 99),
    }


@contextlib.contextmanager
def sqlite_urls(tmp: Path, sync: str) -> Iterator[Any]:
    yield lambda: f"sqlite+aiosqlite:///{tmp / f'q-{uuid.uuid4().hex[:8]}.db'}?synchronous={sync}"


@contextlib.contextmanager
def postgres_urls(pg_url: str | None) -> Iterator[Any]:
    if pg_url:
        yield lambda: pg_url
        return
    from tests.pg import fresh_database, start_postgres  # the test suite's throwaway cluster

    gen = start_postgres()
    server = next(gen)
    try:
        yield lambda: asyncio.run(fresh_database(server, f"b_{uuid.uuid4().hex[:12]}"))
    finally:
        gen.close()


def breakdown(tmp: Path, n: int) -> str:
    """Time one process's enqueue → claim → complete on SQLite, split into SQL, COMMIT and everything else."""
    import sqlite3

    sql_time = {"statements": 0.0, "commit": 0.0}

    class Timed:
        def __init__(self, raw: sqlite3.Connection) -> None:
            self.raw = raw

        def execute(self, sql: str, *args: Any) -> Any:
            t0 = time.perf_counter()
            cur = self.raw.execute(sql, *args)
            rows = cur.fetchall()
            sql_time["commit" if sql == "COMMIT" else "statements"] += time.perf_counter() - t0
            return _Rows(rows)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.raw, name)

    class _Rows(list):  # type: ignore[type-arg]
        def fetchall(self) -> list[Any]:
            return list(self)

    async def run() -> dict[str, float]:
        store = await jobqueue.open_store(f"sqlite+aiosqlite:///{tmp / 'breakdown.db'}")
        store.db._raw = Timed(store.db._raw)  # type: ignore[attr-defined]
        sha = await store.put_blob(b"x")
        t = {"enqueue": 0.0, "claim": 0.0, "complete": 0.0}
        for i in range(n):
            t0 = time.perf_counter()
            await store.enqueue(NewJob(user_id=i % 16, content_sha=sha, style_shas=(sha,), params={"i": i}))
            t1 = time.perf_counter()
            [job] = await store.claim("w", lease_seconds=60)
            t2 = time.perf_counter()
            await store.complete(job, result=b"", meta={})
            t3 = time.perf_counter()
            t["enqueue"] += t1 - t0
            t["claim"] += t2 - t1
            t["complete"] += t3 - t2
        await store.close()
        return t

    t = asyncio.run(run())
    total = sum(t.values())
    us = {k: v / n * 1e6 for k, v in t.items()}
    stmt, commit = sql_time["statements"] / n * 1e6, sql_time["commit"] / n * 1e6
    other = total / n * 1e6 - stmt - commit
    return (
        f"one process, {n} jobs: {total / n * 1e6:.0f} µs per job = enqueue {us['enqueue']:.0f} + claim "
        f"{us['claim']:.0f} + complete {us['complete']:.0f} µs; of which SQLite statements {stmt:.0f} µs "
        f"(BEGIN IMMEDIATE, INSERT/UPDATE … RETURNING, blob INSERT), COMMIT {commit:.0f} µs (WAL append; "
        f"checkpoints amortised), Python {other:.0f} µs (SQLAlchemy-compiled SQL + row → Job, asyncio)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000, help="jobs per measurement (default 5000)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    ap.add_argument("--sqlite-sync", default="NORMAL", choices=["NORMAL", "FULL"])
    ap.add_argument("--pg-url", default=None, help="use this PostgreSQL database (its tables are dropped!)")
    ap.add_argument("--breakdown", action="store_true", help="only the per-job time split on SQLite")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="stylebot-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if args.breakdown:
            print(breakdown(tmp, args.n))
            return
        print(f"# {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}, N={args.n}\n")
        print("| backend | workers | jobs/s (enqueue+drain) | enqueue/s | drain/s | claim p50 µs | claim p99 µs |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for backend in args.backends:
            urls = sqlite_urls(tmp, args.sqlite_sync) if backend == "sqlite" else postgres_urls(args.pg_url)
            with urls as make_url:
                for w in args.workers:
                    r = measure(make_url, args.n, w)
                    print(
                        f"| {backend} | {w} | {r['jobs_per_s']:,.0f} | {r['enqueue_per_s']:,.0f} | "
                        f"{r['drain_per_s']:,.0f} | {r['claim_p50_us']:,.0f} | {r['claim_p99_us']:,.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
