"""The delivery loop on the real SQL store (SQLite file): the same exactly-once path as on the in-memory store."""

from __future__ import annotations

from delivery import DeliveryLoop
from delivery.testing import RecordingPoster
from jobqueue import DeliveryTarget, JobStore, TargetKind
from tests.delivery.helpers import CHANNEL_ID, fail, png, run_job, submit, succeed


async def test_results_failures_and_progress_are_delivered_once_from_sqlite(sql_store: JobStore) -> None:
    store, poster = sql_store, RecordingPoster()
    channel = DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=CHANNEL_ID)
    done = await succeed(store, await submit(store, channel), result=png(40), random_weights=True)
    failed = await fail(store, await submit(store), "time limit exceeded")
    loop = DeliveryLoop(store, poster, poll_interval=0.01, progress_interval=0.0)
    assert await loop.run_once() == 2
    assert await DeliveryLoop(store, poster, poll_interval=0.01).run_once() == 0  # a restarted engine: nothing left
    [result] = poster.for_job(done.id)
    assert result.message.files[0].data == await store.get_blob(done.result_sha or "")
    assert "RANDOM" in (result.message.content or "")
    [notice] = poster.for_job(failed.id)
    assert notice.message.embed["title"] == "Failed" and notice.message_id == 555

    running = await submit(store, DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=CHANNEL_ID, status_message_id=9))
    await run_job(store, running, step=2, total=8)
    assert await loop.update_progress() == 1
    [status] = poster.for_job(running.id)
    assert "2/8" in status.message.embed["description"]
