"""Contract: instant previews (made once per active job, shown once), and the preview lane, on every JobStore."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from jobqueue import (
    PREVIEW_LEASE,
    BlobNotFound,
    DeliveryTarget,
    Job,
    JobStore,
    PreviewLane,
    PreviewState,
    TargetKind,
)
from tests.jobqueue.helpers import submit

CHANNEL = DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=5)


async def _job(store: JobStore, user: int = 1, **kw: Any) -> Job:
    return await submit(store, user, target=kw.pop("target", CHANNEL), **kw)


async def test_active_jobs_without_a_preview_are_candidates_oldest_first(store: JobStore) -> None:
    a, b = await _job(store), await _job(store, 2)
    assert a.preview_state is None and a.preview_sha is None
    assert [j.id for j in await store.preview_candidates()] == [a.id, b.id]
    assert await store.record_preview(a.id, b"JPEG a")
    assert [j.id for j in await store.preview_candidates()] == [b.id]
    assert await store.record_preview(b.id, None)  # none for this one: settled, never a candidate again
    assert await store.preview_candidates() == []
    assert (await store.get(b.id)).preview_state is PreviewState.NONE


async def test_a_preview_is_recorded_once_and_only_for_an_active_job(store: JobStore) -> None:
    job = await _job(store)
    assert await store.record_preview(job.id, b"first")
    assert not await store.record_preview(job.id, b"second")  # a second lane lost the race
    stored = await store.get(job.id)
    assert stored.preview_state is PreviewState.READY
    assert await store.get_blob(stored.preview_sha or "") == b"first"
    with pytest.raises(BlobNotFound):  # the loser's picture is not kept
        await store.get_blob(hashlib.sha256(b"second").hexdigest())
    done = await _job(store, 2)
    await store.cancel(done.id)
    assert not await store.record_preview(done.id, b"late")
    assert (await store.get(done.id)).preview_state is None


async def test_ready_previews_with_a_status_message_are_shown_once(store: JobStore) -> None:
    job = await _job(store)
    await store.record_preview(job.id, b"pic")
    assert await store.previews_to_show() == []  # no status message recorded yet: nothing to edit
    await store.set_status_message(job.id, 99)
    [shown] = await store.previews_to_show()
    assert shown.id == job.id and shown.preview_sha is not None
    await store.mark_preview_shown(job.id)
    assert await store.previews_to_show() == []
    assert (await store.get(job.id)).preview_state is PreviewState.SHOWN


async def test_a_running_job_keeps_its_preview_and_forget_deletes_it(store: JobStore) -> None:
    job = await _job(store)
    await store.record_preview(job.id, b"preview of member 1")
    [claimed] = await store.claim("w", lease_seconds=30)
    assert claimed.preview_state is PreviewState.READY and claimed.preview_sha
    await store.complete(claimed, result=b"result", meta={})
    assert await store.forget_user(1) == 1
    with pytest.raises(BlobNotFound):
        await store.get_blob(claimed.preview_sha)


async def _lane_run(store: JobStore, make: Any, **kw: Any) -> tuple[PreviewLane, list[int]]:
    ready: list[int] = []
    lane = PreviewLane(store, make, holder="engine-1", on_ready=ready.append, **kw)
    await lane.run_once()
    return lane, ready


async def test_the_lane_makes_each_preview_once_and_says_so(store: JobStore) -> None:
    a, b = await _job(store), await _job(store, 2)
    made: list[int] = []

    async def make(job: Job) -> bytes:
        made.append(job.id)
        return f"pic {job.id}".encode()

    lane, ready = await _lane_run(store, make)
    await lane.run_once()
    assert made == ready == [a.id, b.id] and lane.made == 2
    assert await store.get_blob((await store.get(b.id)).preview_sha or "") == f"pic {b.id}".encode()


async def test_the_lane_skips_jobs_without_a_message_servers_with_previews_off_and_failures(store: JobStore) -> None:
    quiet = await _job(store, target=DeliveryTarget())
    await store.update_guild_settings(7, previews=False)
    off = await _job(store, 2, guild_id=7)
    broken = await _job(store, 3)
    fine = await _job(store, 4, guild_id=8)

    async def make(job: Job) -> bytes:
        if job.id == broken.id:
            raise ValueError("unreadable picture")
        return b"pic"

    _, ready = await _lane_run(store, make)
    assert ready == [fine.id]
    for job in (quiet, off, broken):
        assert (await store.get(job.id)).preview_state is PreviewState.NONE


async def test_only_the_lease_holder_makes_previews(store: JobStore) -> None:
    await _job(store)
    assert await store.hold_lease(PREVIEW_LEASE, "engine-2", seconds=60)

    async def make(job: Job) -> bytes:
        raise AssertionError("engine-1 does not hold the lane")

    _, ready = await _lane_run(store, make)
    assert ready == [] and len(await store.preview_candidates()) == 1


async def test_the_lane_keeps_to_its_time_share(store: JobStore) -> None:
    jobs = [await _job(store, i) for i in range(1, 6)]
    now = [0.0]

    async def make(job: Job) -> bytes:
        now[0] += 1.0  # each preview "takes" one second of the fake clock
        return b"pic"

    lane, ready = await _lane_run(store, make, share=0.1, burst=2.0, clock=lambda: now[0])
    assert ready == [j.id for j in jobs[:3]]  # 2 s of credit: 3 previews start (the third overdraws it)
    now[0] += 5.0  # 0.5 s earned back: still below zero
    await lane.run_once()
    assert len(ready) == 3
    now[0] += 6.0  # 1.1 s earned: above zero again
    await lane.run_once()
    assert len(ready) == 4


async def test_a_slow_preview_is_given_up(store: JobStore) -> None:
    job = await _job(store)

    async def make(job: Job) -> bytes:
        await asyncio.sleep(10)
        return b"never"

    _, ready = await _lane_run(store, make, timeout=0.05)
    assert ready == [] and (await store.get(job.id)).preview_state is PreviewState.NONE
