"""A poison job in a real worker process: a batch of four where one job SIGKILLs the process. After restarts only
the poison job ends `dead`; its batch-mates, having lost one attempt to the first crash, run alone and succeed."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import jobqueue
from jobqueue import JobState, NewJob

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


async def _enqueue(url: str, poison_index: int, n: int = 4) -> list[int]:
    store = await jobqueue.open_store(url, migrate=True)
    try:
        sha = await store.put_blob(b"content")
        ids = []
        for i in range(n):
            params = {"preset": "fast", "size": 64, "i": i, "poison": i == poison_index}
            new = NewJob(user_id=1, content_sha=sha, style_shas=(sha,), params=params, batch_key="fast:64")
            ids.append((await store.enqueue(new)).id)
        return ids
    finally:
        await store.close()


async def _jobs(url: str, ids: list[int]) -> list[jobqueue.Job]:
    store = await jobqueue.open_store(url, migrate=False)
    try:
        return [await store.get(i) for i in ids]
    finally:
        await store.close()


def _run_worker(url: str, name: str, log: Path) -> int:
    with log.open("ab") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.jobqueue.poison_worker", url, name],
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    return proc.returncode


def test_a_job_that_kills_its_worker_dies_alone_and_its_batch_mates_succeed(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'q.db'}"
    ids = asyncio.run(_enqueue(url, poison_index=2))
    log = tmp_path / "workers.log"
    codes = []
    for run in range(8):  # each restart gets further: the first batch crashes, then each job runs alone
        codes.append(_run_worker(url, f"w{run}", log))
        if codes[-1] == 0:
            break
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
    assert codes[0] == -signal.SIGKILL, tail  # the poison job took down the whole batch's process ...
    assert codes[-1] == 0, f"the queue never drained: exit codes {codes}\n{tail}"

    jobs = {job.id: job for job in asyncio.run(_jobs(url, ids))}
    poison, mates = jobs[ids[2]], [jobs[i] for i in ids if i != ids[2]]
    assert poison.state is JobState.DEAD and poison.attempts == poison.max_attempts, tail
    assert "lease expired" in (poison.error or "")
    for mate in mates:  # ... but only once: afterwards each ran alone
        assert mate.state is JobState.SUCCEEDED, (mate, tail)
        assert mate.attempts == 2 and mate.crashes == 1
        assert mate.result_meta == {"batch": [mate.id]}
