"""`stylebot engine`'s /healthz and /metrics, scraped from a real engine process that ran a job.

Also: a metrics port that is already taken is a warning, not a reason to stop working.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from jobqueue import JobState, JobStore, NewJob
from tests.engine.test_jobs import STYLE, png

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_engine(url: str, port: int, log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STYLEBOT_", "DISCORD_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        STYLEBOT_WEIGHTS="random",
        STYLEBOT_DEVICE="cpu",
        STYLEBOT_ENGINE_METRICS_PORT=str(port),
        STYLEBOT_DATA_DIR=str(log.parent),
        OMP_NUM_THREADS="1",
    )
    cmd = [sys.executable, "-m", "stylebot", "engine", "--db", url, "--poll-interval", "0.1", *args]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=log.parent)


async def _enqueue(store: JobStore, steps: int) -> int:
    content, style = await store.put_blob(png((200, 60, 30))), await store.put_blob(STYLE)
    new = NewJob(user_id=5, content_sha=content, style_shas=(style,), params={"preset": "fast", "size": 32,
                 "steps": steps, "seed": 1})  # fmt: skip
    return (await store.enqueue(new)).id


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
        return resp.status, await resp.text()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


async def _until(
    predicate: Callable[[], Awaitable[str | None]], seconds: float, what: str, proc: subprocess.Popen[bytes], log: Path
) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if value := await predicate():
                return value
        except aiohttp.ClientError:
            pass  # not listening yet
        await asyncio.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}\n{_tail(log)}")


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} missing from /metrics"
    return float(match.group(1))


async def test_engine_serves_healthz_and_metrics_with_its_jobs_iterations_and_heartbeat(
    sqlite_db: tuple[str, JobStore], tmp_path: Path
) -> None:
    url, store = sqlite_db
    job_id = await _enqueue(store, steps=12)
    port, log = _free_port(), tmp_path / "engine.log"
    base = f"http://127.0.0.1:{port}"
    proc = _start_engine(url, port, log)
    try:
        async with aiohttp.ClientSession() as http:

            async def finished() -> str | None:
                status, text = await _get(http, f"{base}/metrics")
                return text if status == 200 and 'stylebot_jobs_finished_total{state="succeeded"} 1.0' in text else None

            text = await _until(finished, 120, "the job to be counted in /metrics", proc, log)
            status, health = await _get(http, f"{base}/healthz")
        assert (await store.get(job_id)).state == JobState.SUCCEEDED
        assert status == 200 and '"status": "ok"' in health and '"role": "engine"' in health
        assert _metric(text, "stylebot_engine_iterations_total") == 12.0  # every step, though reports are throttled
        assert _metric(text, "stylebot_job_duration_seconds_count") == 1.0
        assert _metric(text, 'stylebot_queue_jobs{state="succeeded"}') == 1.0
        assert _metric(text, 'stylebot_queue_jobs{state="queued"}') == 0.0
        assert _metric(text, "stylebot_workers_alive") == 1.0  # this engine's own heartbeat, seen through the queue
        assert re.search(r'^stylebot_worker_last_heartbeat_timestamp_seconds\{worker="[^"]+"\} \d', text, re.M)
        assert "stylebot_retention_pruned_total 0.0" in text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


async def test_a_taken_metrics_port_is_a_warning_and_the_engine_still_runs_jobs(
    sqlite_db: tuple[str, JobStore], tmp_path: Path
) -> None:
    url, store = sqlite_db
    job_id = await _enqueue(store, steps=3)
    log = tmp_path / "engine.log"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = _start_engine(url, taken.getsockname()[1], log, "--burst")
        try:
            code = proc.wait(120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    output = log.read_text(errors="replace")
    assert code == 0, output
    assert "cannot serve /metrics on 127.0.0.1" in output
    assert (await store.get(job_id)).state == JobState.SUCCEEDED
