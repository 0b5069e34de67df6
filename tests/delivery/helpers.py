"""Helpers of the delivery tests: jobs in an InMemoryJobStore in any state, and synthesized result images."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

from jobqueue import DeliveryTarget, Job, JobProgress, JobStore, NewJob, TargetKind

APP_ID = 1000
CHANNEL_ID = 2000
USER_ID = 3000
GUILD_ID = 4000


def png(size: int = 32, *, noise: bool = False, seed: int = 0) -> bytes:
    """A synthesized PNG; with `noise` it barely compresses (for upload-limit tests)."""
    if noise:
        rng = random.Random(seed)
        im = Image.frombytes("RGB", (size, size), bytes(rng.getrandbits(8) for _ in range(size * size * 3)))
    else:
        im = Image.new("RGB", (size, size), (200, 80, 40))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def interaction_target(
    *, token: str = "itoken", created: datetime | None = None, status_message_id: int | None = 555
) -> DeliveryTarget:
    return DeliveryTarget(
        kind=TargetKind.INTERACTION,
        application_id=APP_ID,
        interaction_id=777,
        interaction_token=token,
        token_created_at=created or datetime.now(UTC),
        channel_id=CHANNEL_ID,
        status_message_id=status_message_id,
    )


async def submit(store: JobStore, target: DeliveryTarget | None = None, **params: Any) -> Job:
    content = await store.put_blob(png(8, seed=1))
    style = await store.put_blob(png(8, noise=True, seed=2))
    new = NewJob(
        user_id=USER_ID,
        content_sha=content,
        style_shas=(style,),
        params={"preset": "fast", "size": 64, "strength": 1.0, "seed": 7, **params},
        guild_id=GUILD_ID,
        channel_id=target.channel_id if target and target.channel_id else CHANNEL_ID,  # one column in SQL
        target=target or interaction_target(),
    )
    return await store.enqueue(new)


async def run_job(store: JobStore, job: Job, *, step: int = 3, total: int = 10, preview: bytes | None = None) -> Job:
    [claimed] = await store.claim("w1", lease_seconds=30)
    assert claimed.id == job.id
    sha = await store.put_blob(preview) if preview else None
    await store.heartbeat(claimed, lease_seconds=30, progress=JobProgress(step, total, preview_sha=sha))
    return claimed


async def succeed(store: JobStore, job: Job, result: bytes | None = None, **meta: Any) -> Job:
    claimed = await run_job(store, job)
    return await store.complete(claimed, result=result or png(48), meta={"seconds": 12.5, **meta})


async def fail(store: JobStore, job: Job, error: str) -> Job:
    claimed = await run_job(store, job)
    return await store.fail(claimed, error=error, retryable=False)


def expired(minutes: float = 20) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)
