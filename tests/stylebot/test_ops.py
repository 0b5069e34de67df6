from __future__ import annotations

from datetime import UTC, datetime

import aiohttp

from jobqueue import JobState, QueueStats, WorkerInfo
from stylebot.ops import EngineMetrics, OpsServer


def _stats() -> QueueStats:
    worker = WorkerInfo("w1", "host", 1, "cpu", datetime.now(UTC), datetime.now(UTC))
    return QueueStats(
        counts={JobState.QUEUED: 3, JobState.RUNNING: 1},
        running=(),
        workers=(worker,),
        mean_wait_seconds=2.5,
        mean_run_seconds=7.0,
        paused=False,
    )


async def test_metrics_scrape_reports_queue_depth_and_engine_counters() -> None:
    async def stats() -> QueueStats:
        return _stats()

    server = OpsServer(role="engine", host="127.0.0.1", port=0, stats=stats)
    engine = EngineMetrics(server.registry)
    engine.job_finished("succeeded", 12.0)
    engine.iterations.inc(40)
    port = await server.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
    finally:
        await server.stop()
    assert 'stylebot_queue_jobs{state="queued"} 3.0' in text
    assert 'stylebot_queue_jobs{state="dead"} 0.0' in text
    assert "stylebot_workers_alive 1.0" in text
    assert 'stylebot_jobs_finished_total{state="succeeded"} 1.0' in text
    assert "stylebot_engine_iterations_total 40.0" in text
    assert "stylebot_job_duration_seconds_count 1.0" in text


async def test_healthz_is_503_when_the_check_fails() -> None:
    healthy = True

    async def check() -> dict[str, object]:
        if not healthy:
            raise ConnectionError("database down")
        return {"database": "ok"}

    server = OpsServer(role="bot", host="127.0.0.1", port=0, health=check)
    port = await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
                assert (await resp.json())["database"] == "ok"
            healthy = False
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 503
                body = await resp.json()
                assert body["status"] == "unhealthy" and body["role"] == "bot"
    finally:
        await server.stop()
