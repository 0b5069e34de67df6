"""`python -m stylebot engine` as real processes on one SQLite file: SIGKILL mid-job, two workers, SIGTERM.

Real engine (random weights, 32 px), real store, real signals. Each test bounds every wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from jobqueue import Job, JobState, JobStore, NewJob
from tests.engine.test_jobs import STYLE, png

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


class Engine:
    """One `stylebot engine` child process; its log goes to a file (read on failure)."""

    def __init__(self, url: str, log: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STYLEBOT_", "DISCORD_"))}
        env.update(
            PYTHONPATH=str(ROOT),
            STYLEBOT_WEIGHTS="random",
            STYLEBOT_DEVICE="cpu",
            STYLEBOT_ENGINE_METRICS_PORT="0",
            STYLEBOT_DATA_DIR=str(log.parent),
            OMP_NUM_THREADS="1",
        )
        cmd = [sys.executable, "-m", "stylebot", "engine", "--db", url, "--poll-interval", "0.1", *args]
        self.log = log
        self._out = open(log.with_suffix(".out"), "wb")  # noqa: SIM115 - closed in wait()/kill()
        self._err = open(log, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdout=self._out, stderr=self._err, env=env, cwd=log.parent)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._out.close()
            self._err.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait(10)

    @property
    def summary(self) -> dict[str, int]:
        text = self.log.with_suffix(".out").read_text()
        return {name: int(n) for n, name in re.findall(r"(\d+) (succeeded|failed|retried|cancelled|released)", text)}

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


@contextlib.contextmanager
def engines() -> Iterator[list[Engine]]:
    started: list[Engine] = []
    try:
        yield started
    finally:
        for engine in started:
            engine.kill()


async def submit(store: JobStore, n: int, **params: Any) -> list[int]:
    ids = []
    style = await store.put_blob(STYLE)
    for i in range(n):
        content = await store.put_blob(png((40 * i % 256, 90, 160)))
        new = NewJob(
            user_id=1 + i % 2,
            content_sha=content,
            style_shas=(style,),
            params={"preset": "fast", "size": 32, "seed": i, **params},
        )
        ids.append((await store.enqueue(new)).id)
    return ids


async def until(predicate: Any, seconds: float, what: str, engine: Engine) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and engine.proc.poll() is None:
        if value := await predicate():
            return value
        await asyncio.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}" + f"\n{engine.tail()}")


async def assert_result_intact(store: JobStore, job: Job, steps: int) -> None:
    assert job.state == JobState.SUCCEEDED, job
    img = Image.open(io.BytesIO(await store.get_blob(job.result_sha)))
    assert (img.format, img.size) == ("PNG", (38, 32))
    img.load()
    assert job.result_meta["steps"] == steps and job.result_meta["random_weights"] is True


# long enough (~2 s a job at 32 px on CPU) that a heartbeat stores progress while a job runs
STEPS = 300


async def test_a_job_killed_mid_run_is_rerun_by_the_next_worker_and_every_job_finishes_once(
    sqlite_db: tuple[str, JobStore], tmp_path: Path
) -> None:
    url, store = sqlite_db
    ids = await submit(store, 4, steps=STEPS)

    async def running_with_progress() -> Job | None:
        jobs = [await store.get(i) for i in ids]
        return next((j for j in jobs if j.state == JobState.RUNNING and j.progress is not None), None)

    with engines() as started:
        first = Engine(url, tmp_path / "a.log", "--lease-seconds", "2", "--worker-id", "A")
        started.append(first)
        victim = await until(running_with_progress, 90, "a running job with progress", first)
        first.proc.send_signal(signal.SIGKILL)
        first.wait(10)
        done_by_a = {i for i in ids if (await store.get(i)).state == JobState.SUCCEEDED}
        assert (await store.get(victim.id)).state == JobState.RUNNING  # the dead worker's lease still holds it

        second = Engine(url, tmp_path / "b.log", "--lease-seconds", "2", "--worker-id", "B", "--burst")
        started.append(second)
        assert second.wait(120) == 0, second.tail()

    assert second.summary["succeeded"] == len(ids) - len(done_by_a)  # B ran exactly the jobs A had not finished
    assert second.summary["failed"] == 0
    for job_id in ids:
        job = await store.get(job_id)
        await assert_result_intact(store, job, steps=STEPS)
        assert job.attempts == (2 if job_id == victim.id else 1)
        assert job.lease_owner == ("A" if job_id in done_by_a else "B")


async def test_two_workers_on_one_sqlite_file_share_the_jobs(sqlite_db: tuple[str, JobStore], tmp_path: Path) -> None:
    url, store = sqlite_db
    ids = await submit(store, 6, steps=15)
    with engines() as started:
        for name in ("one", "two"):
            started.append(Engine(url, tmp_path / f"{name}.log", "--burst", "--worker-id", name))
        codes = [engine.wait(120) for engine in started]
    assert codes == [0, 0], "\n".join(engine.tail() for engine in started)
    assert sum(engine.summary["succeeded"] for engine in started) == len(ids)
    for job_id in ids:
        job = await store.get(job_id)
        await assert_result_intact(store, job, steps=15)
        assert job.attempts == 1 and job.lease_owner in ("one", "two")
    assert await store.live_workers() == []  # both unregistered on the way out


async def test_sigterm_releases_a_long_job_and_exits_cleanly(sqlite_db: tuple[str, JobStore], tmp_path: Path) -> None:
    url, store = sqlite_db
    [job_id] = await submit(store, 1, steps=100_000)

    async def running() -> bool:
        return (await store.get(job_id)).progress is not None

    with engines() as started:
        engine = Engine(url, tmp_path / "term.log", "--shutdown-timeout", "0.5", "--worker-id", "T")
        started.append(engine)
        await until(running, 90, "the job to run", engine)
        engine.proc.send_signal(signal.SIGTERM)
        assert engine.wait(30) == 0, engine.tail()
    job = await store.get(job_id)
    assert job.state == JobState.QUEUED and job.attempts == 0  # released, no attempt burnt
    assert engine.summary["released"] == 1
    assert await store.live_workers() == []
