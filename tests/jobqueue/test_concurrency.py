"""Claims under real concurrency: several connections and several processes on one SQLite file, and on PostgreSQL;
no job is ever claimed twice, every job finishes exactly once, and nobody sees "database is locked"."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import jobqueue
from jobqueue import JobState, NewJob
from tests.pg import PostgresServer, fresh_database

ROOT = Path(__file__).resolve().parents[2]

CLAIMER = """
import asyncio, json, sys
import jobqueue

async def main(url, name):
    store = await jobqueue.open_store(url, migrate=False)
    claimed = []
    try:
        idle = 0
        while idle < 3:
            jobs = await store.claim(name, lease_seconds=60, limit=2)
            if not jobs:
                idle += 1
                await asyncio.sleep(0.05)
                continue
            idle = 0
            for job in jobs:
                claimed.append(job.id)
                await store.heartbeat(job, lease_seconds=60)
                await store.complete(job, result=name.encode(), meta={"by": name})
    finally:
        await store.close()
    print(json.dumps(claimed))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def _fill(url: str, n: int) -> set[int]:
    store = await jobqueue.open_store(url)
    try:
        sha = await store.put_blob(b"content")
        return {
            (await store.enqueue(NewJob(user_id=i % 7, content_sha=sha, style_shas=(sha,), params={"i": i}))).id
            for i in range(n)
        }
    finally:
        await store.close()


async def _claim_all(url: str, name: str) -> list[int]:
    store = await jobqueue.open_store(url, migrate=False)
    seen: list[int] = []
    try:
        while jobs := await store.claim(name, lease_seconds=60):
            seen.extend(j.id for j in jobs)
            for job in jobs:
                await store.complete(job, result=b"r", meta={})
    finally:
        await store.close()
    return seen


async def _check_all_done_once(url: str, ids: set[int]) -> None:
    store = await jobqueue.open_store(url, migrate=False)
    try:
        jobs = await store.list_jobs(limit=len(ids) + 10)
    finally:
        await store.close()
    assert {j.id for j in jobs} == ids
    assert all(j.state is JobState.SUCCEEDED and j.attempts == 1 for j in jobs)


def _run_processes(url: str, count: int) -> list[list[int]]:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, url, f"proc{i}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(count)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err.decode()[-2000:]
        assert b"database is locked" not in err
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return results


def _assert_disjoint_and_complete(claims: list[list[int]], ids: set[int]) -> None:
    flat = [i for c in claims for i in c]
    assert len(flat) == len(set(flat)), "a job was claimed twice"
    assert set(flat) == ids


async def test_many_sqlite_connections_claim_each_job_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'q.db'}"
    ids = await _fill(url, 150)
    claims = await asyncio.wait_for(asyncio.gather(*(_claim_all(url, f"w{i}") for i in range(6))), 120)
    _assert_disjoint_and_complete(list(claims), ids)
    await _check_all_done_once(url, ids)


@pytest.mark.slow
def test_two_processes_on_one_sqlite_file_claim_each_job_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'q.db'}"
    ids = asyncio.run(_fill(url, 300))
    claims = _run_processes(url, 2)
    _assert_disjoint_and_complete(claims, ids)
    asyncio.run(_check_all_done_once(url, ids))


@pytest.mark.slow
def test_two_workers_on_postgres_claim_each_job_once(postgres_server: PostgresServer) -> None:
    url = asyncio.run(fresh_database(postgres_server, f"c_{uuid.uuid4().hex[:12]}"))
    ids = asyncio.run(_fill(url, 300))
    claims = _run_processes(url, 2)
    assert all(claims), "both workers should have done some of the work"
    _assert_disjoint_and_complete(claims, ids)
    asyncio.run(_check_all_done_once(url, ids))


async def test_many_postgres_connections_claim_each_job_once(postgres_server: PostgresServer) -> None:
    url = await fresh_database(postgres_server, f"c_{uuid.uuid4().hex[:12]}")
    ids = await _fill(url, 150)
    claims = await asyncio.wait_for(asyncio.gather(*(_claim_all(url, f"w{i}") for i in range(6))), 120)
    _assert_disjoint_and_complete(list(claims), ids)
    await _check_all_done_once(url, ids)


async def test_sqlite_write_waits_for_another_writer_without_blocking_the_loop(tmp_path: Path) -> None:
    import sqlite3

    url = f"sqlite+aiosqlite:///{tmp_path / 'q.db'}"
    store = await jobqueue.open_store(url)
    try:
        sha = await store.put_blob(b"content")
        other = sqlite3.connect(tmp_path / "q.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        tick_task = asyncio.create_task(ticker())
        enqueue = asyncio.create_task(store.enqueue(NewJob(user_id=1, content_sha=sha, style_shas=(), params={})))
        await asyncio.sleep(0.3)
        assert not enqueue.done(), "the write must wait for the lock"
        assert ticks >= 10, "the event loop must keep running while the write waits"
        other.execute("COMMIT")
        other.close()
        job = await asyncio.wait_for(enqueue, 10)
        tick_task.cancel()
        assert (await store.get(job.id)).state is JobState.QUEUED
    finally:
        await store.close()


async def test_cancelling_a_waiting_sqlite_write_leaves_the_connection_usable(tmp_path: Path) -> None:
    import sqlite3

    store = await jobqueue.open_store(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")
    try:
        sha = await store.put_blob(b"content")
        other = sqlite3.connect(tmp_path / "q.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        waiting = asyncio.create_task(store.enqueue(NewJob(user_id=1, content_sha=sha, style_shas=(), params={})))
        await asyncio.sleep(0.2)
        waiting.cancel()
        other.execute("COMMIT")
        other.close()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        job = await store.enqueue(NewJob(user_id=2, content_sha=sha, style_shas=(), params={}))
        assert (await store.get(job.id)).user_id == 2
    finally:
        await store.close()
