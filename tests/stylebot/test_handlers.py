"""The engine's job handlers under the real `Worker` (in-memory store, CPU, random weights, 32 px)."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

from PIL import Image

from jobqueue import JobState, JobStore, NewJob, StoreOptions, Worker
from jobqueue.testing import InMemoryJobStore
from stylebot.handlers import EngineConfig, make_handlers
from tests.engine.test_jobs import CONTENT, STYLE, TINY, png

CONFIG = EngineConfig(weights="random", device="cpu", max_size=64)
FAST = {"poll_interval": 0.02, "lease_seconds": 2.0, "heartbeat_interval": 0.1, "abort_grace": 5.0}


def new_store() -> InMemoryJobStore:
    return InMemoryJobStore(StoreOptions(retry_backoff_base=0.02))


async def submit(store: JobStore, content: bytes, params: dict[str, Any], **kw: Any) -> int:
    new = NewJob(
        user_id=1,
        content_sha=await store.put_blob(content),
        style_shas=(await store.put_blob(STYLE),),
        params=params,
        **kw,
    )
    return (await store.enqueue(new)).id


def worker(store: JobStore, **kw: Any) -> Worker:
    handler, batch_handler = make_handlers(store, CONFIG)
    return Worker(store, handler, batch_handler=batch_handler if kw.get("batch_size", 1) > 1 else None, **FAST, **kw)


async def test_jobs_succeed_with_an_image_and_a_bad_image_fails_permanently() -> None:
    store = new_store()
    good = [await submit(store, CONTENT, TINY), await submit(store, png((0, 90, 0)), {**TINY, "seed": 9})]
    bad = await submit(store, b"this is text", TINY, max_attempts=3)
    stats = await asyncio.wait_for(worker(store).run_until_idle(), 120)
    assert (stats.succeeded, stats.failed, stats.retried) == (2, 1, 0)
    for job_id in good:
        job = await store.get(job_id)
        assert job.state == JobState.SUCCEEDED
        assert Image.open(io.BytesIO(await store.get_blob(job.result_sha))).size == (38, 32)
        assert job.result_meta["random_weights"] is True and job.result_meta["steps"] == 3
        assert job.progress is not None and job.progress.total == 3  # written by a heartbeat while it ran
    failed = await store.get(bad)
    assert failed.state == JobState.FAILED and failed.attempts == 1
    assert failed.error.startswith("content image: ") and "\n" not in failed.error


async def test_a_cancel_stops_the_optimisation_thread_promptly() -> None:
    store = new_store()
    job_id = await submit(store, CONTENT, {**TINY, "steps": 100_000})
    task = asyncio.create_task(worker(store).run_until_idle())
    for _ in range(1200):  # until a heartbeat stored progress: the optimisation runs
        if (await store.get(job_id)).progress is not None:
            break
        await asyncio.sleep(0.05)
    asked = time.monotonic()
    await store.cancel(job_id)
    stats = await asyncio.wait_for(task, 60)
    took = time.monotonic() - asked
    job = await store.get(job_id)
    assert job.state == JobState.CANCELLED and stats.cancelled == 1
    assert 0 < job.progress.step < 100_000
    assert took < 30, f"cancel took {took:.1f} s"  # about 0.2 s; 100k steps would take many minutes


async def test_compatible_jobs_run_as_one_batch() -> None:
    store = new_store()
    ids = [await submit(store, png((i * 60, 20, 20)), {**TINY, "seed": i}, batch_key="fast:32") for i in range(3)]
    bad = await submit(store, b"nope", TINY, batch_key="fast:32")
    stats = await asyncio.wait_for(worker(store, batch_size=4).run_until_idle(), 120)
    assert stats.batches == 1 and stats.succeeded == 3 and stats.failed == 1
    for seed, job_id in enumerate(ids):
        job = await store.get(job_id)
        assert job.state == JobState.SUCCEEDED and job.result_meta["seed"] == seed
        Image.open(io.BytesIO(await store.get_blob(job.result_sha))).verify()
    assert (await store.get(bad)).error.startswith("content image: ")
