"""DeliveryLoop with InMemoryJobStore and the recording poster: exactly once, retries, progress throttling."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from delivery import DeliveryLoop, MissingPermissions, RateLimited, RetryableDeliveryError, TargetGone
from delivery.testing import RecordingPoster
from jobqueue import DatabaseUnavailable, DeliveryTarget, JobProgress, TargetKind
from jobqueue.testing import InMemoryJobStore
from tests.delivery.helpers import CHANNEL_ID, fail, interaction_target, png, run_job, submit, succeed
from tests.jobqueue.helpers import OutageStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FlakyMarkStore(InMemoryJobStore):
    """`mark_delivered` fails while `broken` (the process died, or the database blinked, right after posting)."""

    broken = True

    async def mark_delivered(self, job_id: int) -> None:
        if self.broken:
            raise DatabaseUnavailable("sqlite:///x")
        await super().mark_delivered(job_id)


def _loop(store: InMemoryJobStore, poster: RecordingPoster, clock: Clock | None = None, **kw: object) -> DeliveryLoop:
    return DeliveryLoop(store, poster, poll_interval=0.01, progress_interval=3.0, clock=clock or Clock(), **kw)


async def test_result_edits_the_status_message_and_is_marked_delivered() -> None:
    store, poster = InMemoryJobStore(), RecordingPoster()
    job = await succeed(store, await submit(store))
    assert await _loop(store, poster).run_once() == 1
    [posted] = poster.messages.values()
    assert posted.message_id == 555 and posted.message.state == "succeeded"
    [file] = posted.message.files
    assert file.filename == f"stylebot-{job.id}.png" and file.data == await store.get_blob(job.result_sha)
    assert (await store.get(job.id)).delivered_at is not None
    assert await store.pending_deliveries() == []


async def test_repeat_after_crash_between_post_and_mark_posts_once() -> None:
    store, poster = FlakyMarkStore(), RecordingPoster()
    target = DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=CHANNEL_ID)
    job = await succeed(store, await submit(store, target))
    assert await _loop(store, poster).run_once() == 0  # posted, but the mark was lost
    store.broken = False
    assert await _loop(store, poster).run_once() == 1  # a new process delivers again: same nonce, same message
    assert len(poster.for_job(job.id)) == 1
    assert poster.calls.count(("deliver", job.id)) == 2
    assert (await store.get(job.id)).delivered_at is not None


async def test_mark_failure_in_process_retries_only_the_mark() -> None:
    store, poster, clock = FlakyMarkStore(), RecordingPoster(), Clock()
    job = await succeed(store, await submit(store))
    loop = _loop(store, poster, clock)
    assert await loop.run_once() == 0
    store.broken = False
    clock.now += 120
    assert await loop.run_once() == 1
    assert poster.calls.count(("deliver", job.id)) == 1


async def test_rate_limit_is_retried_after_retry_after_and_nothing_is_lost() -> None:
    store, poster, clock = InMemoryJobStore(), RecordingPoster(), Clock()
    job = await succeed(store, await submit(store))
    poster.fail_next(RateLimited("429", retry_after=2.5), RetryableDeliveryError("502"))
    loop = _loop(store, poster, clock)
    assert await loop.run_once() == 0
    clock.now += 2.0
    assert await loop.run_once() == 0 and poster.calls.count(("deliver", job.id)) == 1  # still waiting
    clock.now += 0.6
    assert await loop.run_once() == 0  # the 502
    clock.now += 2.1  # second failure: 2 s
    assert await loop.run_once() == 1
    assert [m.message.state for m in poster.for_job(job.id)] == ["succeeded"]


async def test_gone_target_is_given_up_and_marked() -> None:
    store, poster = InMemoryJobStore(), RecordingPoster()
    job = await succeed(store, await submit(store))
    poster.fail_next(TargetGone("channel deleted"))
    assert await _loop(store, poster).run_once() == 1
    assert poster.for_job(job.id) == [] and (await store.get(job.id)).delivered_at is not None


async def test_missing_permissions_retry_slowly_then_give_up(caplog: pytest.LogCaptureFixture) -> None:
    store, poster, clock = InMemoryJobStore(), RecordingPoster(), Clock()
    job = await succeed(store, await submit(store))
    loop = _loop(store, poster, clock, give_up_after=600.0)
    for _ in range(10):
        poster.fail_next(MissingPermissions("no Send Messages", channel_id=CHANNEL_ID))
    assert await loop.run_once() == 0
    clock.now += 100
    assert await loop.run_once() == 0 and poster.calls.count(("deliver", job.id)) == 1  # backs off for minutes
    while (await store.get(job.id)).delivered_at is None:
        clock.now += 150
        await loop.run_once()
    assert poster.for_job(job.id) == []
    assert any("giving up" in r.getMessage() for r in caplog.records)


async def test_oversized_result_is_reencoded_below_the_jobs_upload_limit() -> None:
    store, poster = InMemoryJobStore(), RecordingPoster()
    big = png(256, noise=True)
    limit = 64 * 1024
    assert len(big) > limit
    job = await succeed(store, await submit(store, attachment_size_limit=limit), result=big)
    await _loop(store, poster).run_once()
    [posted] = poster.for_job(job.id)
    [file] = posted.message.files
    assert len(file.data) <= limit
    assert posted.message.embed["image"]["url"] == f"attachment://{file.filename}"
    ext = file.filename.rsplit(".", 1)[1]
    with Image.open(io.BytesIO(file.data)) as im:
        assert im.format.lower() in {"jpeg", "webp", "png"} and ext in {"jpg", "webp", "png"}


async def test_failed_job_tells_the_user_why() -> None:
    store, poster = InMemoryJobStore(), RecordingPoster()
    job = await fail(store, await submit(store), "ImageError: content image: the PNG file is damaged")
    await _loop(store, poster).run_once()
    [posted] = poster.for_job(job.id)
    assert posted.message.embed["title"] == "Failed" and "could not be read" in posted.message.embed["description"]
    assert posted.message.files == ()


async def test_progress_edits_only_on_change_and_at_most_every_interval() -> None:
    store, poster, clock = InMemoryJobStore(), RecordingPoster(), Clock()
    job = await submit(store)
    claimed = await run_job(store, job, step=1, total=10, preview=png(16))
    loop = _loop(store, poster, clock)
    assert await loop.update_progress() == 1
    [posted] = poster.for_job(job.id)
    assert "1/10" in posted.message.embed["description"] and posted.message.files[0].filename == "preview.png"
    await store.heartbeat(claimed, lease_seconds=30, progress=JobProgress(5, 10))
    clock.now += 1
    assert await loop.update_progress() == 0  # changed, but too soon
    clock.now += 2.5
    assert await loop.update_progress() == 1
    assert "5/10" in posted.message.embed["description"] and posted.message.files == ()
    clock.now += 10
    assert await loop.update_progress() == 0  # unchanged
    assert posted.edits == 2


async def test_progress_rate_limit_backs_off_that_job() -> None:
    store, poster, clock = InMemoryJobStore(), RecordingPoster(), Clock()
    job = await submit(store)
    await run_job(store, job)
    loop = _loop(store, poster, clock)
    poster.fail_next(RateLimited("429", retry_after=5))
    assert await loop.update_progress() == 0
    clock.now += 4
    assert await loop.update_progress() == 0
    clock.now += 1.5
    assert await loop.update_progress() == 1


async def test_unexpected_error_is_logged_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    store, poster, clock = InMemoryJobStore(), RecordingPoster(), Clock()
    job = await succeed(store, await submit(store))
    poster.fail_next(RuntimeError("bug"))
    loop = _loop(store, poster, clock)
    assert await loop.run_once() == 0
    assert any(r.levelname == "ERROR" and "unexpected" in r.getMessage() for r in caplog.records)
    clock.now += 2
    assert await loop.run_once() == 1 and len(poster.for_job(job.id)) == 1


async def test_cancelled_run_drains_finished_results_then_stops() -> None:
    store, poster = InMemoryJobStore(), RecordingPoster()
    loop = DeliveryLoop(store, poster, poll_interval=30.0)
    task = asyncio.create_task(loop.run())
    await asyncio.sleep(0.05)  # first pass done; now sleeping 30 s
    job = await succeed(store, await submit(store))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(poster.for_job(job.id)) == 1 and (await store.get(job.id)).delivered_at is not None


async def test_run_until_idle_delivers_everything() -> None:
    store, poster = InMemoryJobStore(), RecordingPoster()
    jobs = [await succeed(store, await submit(store, interaction_target(status_message_id=n))) for n in (1, 2, 3)]
    async with asyncio.timeout(5):
        assert await DeliveryLoop(store, poster, poll_interval=0.01).run_until_idle() == 3
    assert all(len(poster.for_job(j.id)) == 1 for j in jobs)


async def test_queue_position_is_refreshed_when_an_engine_comes_back() -> None:
    store, poster, clock = InMemoryJobStore(), RecordingPoster(), Clock()
    job = await submit(store)
    loop = _loop(store, poster, clock, queue_interval=15.0)
    assert await loop.update_queue() == 0  # just enqueued: the bot's message is current
    await store.register_worker("w1", hostname="h", pid=1, device="cpu")
    await store.worker_heartbeat("w1")
    clock.now += 5
    assert await loop.update_queue() == 0  # not yet time to look again
    clock.now += 11
    assert await loop.update_queue() == 1
    [posted] = poster.for_job(job.id)
    assert "#1" in posted.message.embed["description"] and "No engine" not in posted.message.embed["description"]
    clock.now += 16
    assert await loop.update_queue() == 0  # unchanged


async def test_stale_queued_message_is_refreshed_on_first_sight() -> None:
    store, poster = InMemoryJobStore(), RecordingPoster()
    job = await submit(store)
    assert await _loop(store, poster, queue_interval=0.0).update_queue() == 1
    [posted] = poster.for_job(job.id)
    assert "No engine is running" in posted.message.embed["description"]


async def test_jobs_backing_off_do_not_starve_newer_results() -> None:
    store, poster, clock = InMemoryJobStore(), RecordingPoster(), Clock()
    stuck = await succeed(store, await submit(store, interaction_target(status_message_id=1)))
    fresh = await succeed(store, await submit(store, interaction_target(status_message_id=2)))
    loop = _loop(store, poster, clock, batch_size=1)
    poster.fail_next(MissingPermissions("no Send Messages"))
    assert await loop.run_once() == 0  # the oldest is refused and backs off
    assert await loop.run_once() == 1  # the next one still goes out
    assert poster.for_job(fresh.id) and not poster.for_job(stuck.id)


async def test_a_result_waits_for_the_status_message_the_bot_is_about_to_record() -> None:
    """Enqueued, finished, then `set_status_message`: the result edits that message instead of posting anew."""
    store, poster = InMemoryJobStore(), RecordingPoster()
    job = await succeed(store, await submit(store, interaction_target(status_message_id=None)))
    loop = _loop(store, poster)
    assert await loop.run_once() == 0 and poster.calls == []  # waits: the bot may not have recorded it yet
    await store.set_status_message(job.id, 555)
    assert await loop.run_once() == 1
    [posted] = poster.messages.values()
    assert posted.message_id == 555 and posted.message.state == "succeeded"


async def test_without_a_status_message_the_result_falls_back_to_the_channel_after_the_wait() -> None:
    store, poster = InMemoryJobStore(), RecordingPoster()
    now = datetime.now(UTC)
    job = await succeed(store, await submit(store, interaction_target(status_message_id=None, created=now)))
    wall = [now + timedelta(seconds=5)]
    loop = _loop(store, poster, wall_clock=lambda: wall[0], status_wait=30.0)
    assert await loop.run_once() == 0 and poster.calls == []
    wall[0] = now + timedelta(seconds=31)  # the bot never recorded it (e.g. it died): post in the channel
    assert await loop.run_once() == 1
    [posted] = poster.for_job(job.id)
    assert posted.channel_id == CHANNEL_ID and posted.message.state == "succeeded"
    other = await succeed(store, await submit(store, interaction_target(status_message_id=None, created=now)))
    channel_job = await succeed(store, await submit(store, DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=1)))
    assert await _loop(store, poster, wall_clock=lambda: now).run_once() == 1  # only the channel job went out
    assert poster.for_job(channel_job.id) and not poster.for_job(other.id)


async def test_run_backs_off_through_a_store_outage_logged_once_then_delivers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    store, poster = OutageStore(), RecordingPoster()
    job = await succeed(store, await submit(store))
    store.down = True
    loop = DeliveryLoop(store, poster, poll_interval=0.01, retry_cap=0.1)
    task = asyncio.create_task(loop.run(drain_seconds=0))
    await asyncio.sleep(0.5)
    refused = store.refused
    assert 3 <= refused < 25, "passes back off instead of polling every 10 ms"
    store.down = False
    for _ in range(200):
        if (await store.get(job.id)).delivered_at is not None:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await store.get(job.id)).delivered_at is not None and len(poster.for_job(job.id)) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert sum("is unavailable" in m for m in warnings) == 1 and sum("is back after" in m for m in warnings) == 1
