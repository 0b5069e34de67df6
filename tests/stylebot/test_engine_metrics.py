"""EngineMetrics fed by the real handlers and Worker: every optimisation step counted once, batches included."""

from __future__ import annotations

import asyncio

from prometheus_client import generate_latest

from jobqueue import Worker
from stylebot.handlers import make_handlers
from stylebot.ops import EngineMetrics
from tests.engine.test_jobs import CONTENT, TINY, png
from tests.stylebot.test_handlers import CONFIG, FAST, new_store, submit


async def test_single_and_batched_jobs_count_each_step_once_and_every_outcome() -> None:
    store = new_store()
    metrics = EngineMetrics()
    handler, batch_handler = make_handlers(store, CONFIG, on_steps=metrics.steps)
    steps = {**TINY, "steps": 7}
    for i in range(3):
        await submit(store, png((i * 70, 30, 30)), {**steps, "seed": i}, batch_key="fast:32")
    await submit(store, b"not an image", steps, batch_key="fast:32")
    worker = Worker(store, handler, batch_handler=batch_handler, batch_size=4, on_finished=metrics.on_finished, **FAST)
    stats = await asyncio.wait_for(worker.run_until_idle(), 120)
    assert (stats.succeeded, stats.failed, stats.batches) == (3, 1, 1)

    text = generate_latest(metrics.registry).decode()
    assert "stylebot_engine_iterations_total 21.0" in text  # 3 jobs x 7 steps; the bad image ran none
    assert 'stylebot_jobs_finished_total{state="succeeded"} 3.0' in text
    assert 'stylebot_jobs_finished_total{state="failed"} 1.0' in text
    assert 'stylebot_job_failures_total{kind="failed"} 1.0' in text
    assert "stylebot_job_duration_seconds_count 4.0" in text


async def test_a_single_job_counts_its_steps() -> None:
    store = new_store()
    metrics = EngineMetrics()
    handler, _ = make_handlers(store, CONFIG, on_steps=metrics.steps)
    await submit(store, CONTENT, {**TINY, "steps": 5})
    stats = await asyncio.wait_for(Worker(store, handler, **FAST).run_until_idle(), 120)
    assert stats.succeeded == 1
    assert metrics.registry.get_sample_value("stylebot_engine_iterations_total") == 5.0
