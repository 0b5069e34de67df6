"""Instant previews on status messages: shown once by the message's one editor, paced per channel, kept by later
edits (a Discord edit replaces every attachment), and never shown for another engine's running job."""

from __future__ import annotations

from delivery import DeliveryLoop, render_job
from delivery._previews import ChannelPacer
from delivery.errors import RateLimited
from delivery.testing import RecordingPoster
from jobqueue import DeliveryTarget, Job, JobProgress, JobState, PreviewState, TargetKind
from jobqueue.testing import InMemoryJobStore
from tests.delivery.helpers import CHANNEL_ID, png, submit

JPEG = b"\xff\xd8 instant picture"


def _loop(store: InMemoryJobStore, **kw: object) -> tuple[DeliveryLoop, RecordingPoster]:
    poster = RecordingPoster()
    options = {"poll_interval": 0.01, "progress_interval": 0.0, "queue_interval": 3600.0, **kw}
    return DeliveryLoop(store, poster, **options), poster  # type: ignore[arg-type]


async def _job(store: InMemoryJobStore, message_id: int, channel: int = CHANNEL_ID) -> Job:
    target = DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=channel, status_message_id=message_id)
    job = await submit(store, target)
    assert await store.record_preview(job.id, JPEG)
    return await store.get(job.id)


def _files(poster: RecordingPoster, message_id: int) -> dict[str, bytes]:
    return {f.filename: f.data for f in poster.messages[message_id].message.files}


async def test_a_queued_jobs_preview_is_shown_once_labelled_with_its_position() -> None:
    store = InMemoryJobStore()
    job = await _job(store, 501)
    loop, poster = _loop(store)
    await loop.run_once()
    await loop.run_once()
    assert poster.calls.count(("update", job.id)) == 1
    shown = poster.messages[501].message
    assert _files(poster, 501) == {f"instant-{job.id}.jpg": JPEG}
    assert shown.embed["image"]["url"] == f"attachment://instant-{job.id}.jpg"
    assert "Instant preview" in shown.embed["description"] and "#1" in shown.embed["description"]
    assert (await store.get(job.id)).preview_state is PreviewState.SHOWN


async def test_later_progress_edits_keep_the_preview_beside_the_optimisations_own() -> None:
    store = InMemoryJobStore()
    job = await _job(store, 502)
    loop, poster = _loop(store)
    [claimed] = await store.claim("w1", lease_seconds=30)
    await loop.run_once()  # the preview edit
    sha = await store.put_blob(png(16))
    await store.heartbeat(claimed, lease_seconds=30, progress=JobProgress(5, 10, preview_sha=sha))
    await loop.run_once()  # a progress edit
    assert poster.calls.count(("update", job.id)) == 2
    assert set(_files(poster, 502)) == {f"instant-{job.id}.jpg", "preview.png"}
    await store.complete(claimed, result=png(40), meta={})
    await loop.run_once()
    final = poster.messages[502].message
    assert "Instant preview" not in final.embed["description"]  # the result replaces the preview
    assert final.image == f"stylebot-{job.id}.png"


async def test_previews_in_one_channel_are_paced_and_other_channels_go_on() -> None:
    store = InMemoryJobStore()
    now = [100.0]
    busy = [await _job(store, 600 + i) for i in range(3)]
    other = await _job(store, 700, channel=CHANNEL_ID + 1)
    loop, poster = _loop(store, preview_interval=2.0, clock=lambda: now[0])
    await loop.update_previews()
    assert [j for _c, j in poster.calls] == [busy[0].id, other.id]
    now[0] += 1.0
    await loop.update_previews()
    assert len(poster.calls) == 2  # the channel's pace holds
    now[0] += 1.0
    await loop.update_previews()
    assert [j for _c, j in poster.calls][2:] == [busy[1].id]


async def test_a_rate_limited_preview_edit_is_retried_after_discords_delay() -> None:
    store = InMemoryJobStore()
    now = [0.0]
    job = await _job(store, 503)
    loop, poster = _loop(store, preview_interval=0.0, clock=lambda: now[0])
    poster.fail_next(RateLimited("slow down", retry_after=5.0))
    await loop.update_previews()
    assert (await store.get(job.id)).preview_state is PreviewState.READY
    now[0] += 4.0
    await loop.update_previews()
    assert poster.calls.count(("update", job.id)) == 1
    now[0] += 2.0
    await loop.update_previews()
    assert (await store.get(job.id)).preview_state is PreviewState.SHOWN


async def test_another_engines_running_job_is_left_to_that_engines_loop() -> None:
    store = InMemoryJobStore()
    job = await _job(store, 504)
    [claimed] = await store.claim("w-other", lease_seconds=30)
    assert claimed.state is JobState.RUNNING
    mine, poster = _loop(store, worker_id="w-mine")
    await mine.update_previews()
    assert poster.calls == [] and (await store.get(job.id)).preview_state is PreviewState.READY
    theirs, their_poster = _loop(store, worker_id="w-other")
    await theirs.update_previews()
    assert their_poster.calls == [("update", job.id)]


async def test_a_cancelled_or_previewless_job_renders_no_preview() -> None:
    store = InMemoryJobStore()
    job = await _job(store, 505)
    assert render_job(job).image == f"instant-{job.id}.jpg"
    cancelling = await store.cancel(job.id)
    assert render_job(cancelling).image is None
    plain = await submit(store)
    assert "image" not in render_job(plain).embed


def test_the_pacer_allows_one_event_per_channel_per_interval() -> None:
    pacer = ChannelPacer(1.0)
    assert pacer.allow(1, 0.0) and pacer.allow(2, 0.0)
    assert not pacer.allow(1, 0.5)
    assert pacer.allow(1, 1.0)


async def test_a_busy_channel_does_not_hold_up_another_channels_preview() -> None:
    store = InMemoryJobStore()
    busy = [await _job(store, 800 + i) for i in range(30)]  # older than the other channel's, more than a batch
    quiet = await _job(store, 900, channel=CHANNEL_ID + 7)
    loop, poster = _loop(store, preview_interval=60.0, batch_size=5)
    await loop.update_previews()
    assert [j for _c, j in poster.calls] == [busy[0].id, quiet.id]
