"""One editor per status message: two engines' delivery loops over one SQLite queue, each with a recording poster.

A running job's message is edited only by the loop whose worker holds its lease; queued jobs' positions only by the
loop holding the `delivery-editor` lease (another takes over once it is dropped or expires); a result is delivered
once."""

from __future__ import annotations

import asyncio

from delivery import DeliveryLoop, EditorRule
from delivery.testing import RecordingPoster
from jobqueue import DeliveryTarget, Job, JobProgress, JobStore, TargetKind
from tests.delivery.helpers import CHANNEL_ID, png, submit


def _engine_loop(store: JobStore, worker_id: str, **kw: float) -> tuple[DeliveryLoop, RecordingPoster]:
    poster = RecordingPoster()
    loop = DeliveryLoop(
        store, poster, poll_interval=0.01, progress_interval=0.0, queue_interval=0.0, worker_id=worker_id, **kw
    )
    return loop, poster


async def _with_status(store: JobStore, message_id: int) -> Job:
    return await submit(
        store, DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=CHANNEL_ID, status_message_id=message_id)
    )


def _updated(poster: RecordingPoster) -> list[int]:
    return [job_id for call, job_id in poster.calls if call == "update"]


async def test_each_running_job_is_edited_by_its_own_engine_and_queued_ones_by_one(sql_store: JobStore) -> None:
    store = sql_store
    done = await submit(store, DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=CHANNEL_ID))
    on_a, on_b, queued_1, queued_2 = [await _with_status(store, 100 + i) for i in range(4)]
    [claimed] = await store.claim("w-c", lease_seconds=60)
    await store.complete(claimed, result=png(40), meta={})
    running = {}
    for worker, job in (("w-a", on_a), ("w-b", on_b)):
        [running[worker]] = await store.claim(worker, lease_seconds=60)
        assert running[worker].id == job.id
    a, poster_a = _engine_loop(store, "w-a")
    b, poster_b = _engine_loop(store, "w-b")

    for step in (1, 2, 3):  # the engines pass in turn; progress moves on between passes
        for worker in running:
            await store.heartbeat(running[worker], lease_seconds=60, progress=JobProgress(step, 10))
        await a.run_once()
        await b.run_once()

    assert set(_updated(poster_a)) == {on_a.id, queued_1.id, queued_2.id}  # a came first: it edits the queue
    assert set(_updated(poster_b)) == {on_b.id}
    assert _updated(poster_a).count(on_a.id) == 3 and _updated(poster_b).count(on_b.id) == 3
    delivered = [job_id for p in (poster_a, poster_b) for call, job_id in p.calls if call == "deliver"]
    assert delivered == [done.id] and (await store.get(done.id)).delivered_at is not None


async def test_another_loop_takes_over_the_queue_when_the_editor_stops_or_its_lease_expires(
    sql_store: JobStore,
) -> None:
    store = sql_store
    queued = await _with_status(store, 200)
    a, _ = _engine_loop(store, "w-a", editor_lease=0.2)
    b, poster_b = _engine_loop(store, "w-b", editor_lease=0.2)
    assert await a.update_queue() == 1 and await b.update_queue() == 0

    task = asyncio.create_task(a.run(drain_seconds=0))  # a stopping engine hands the role back at once
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert await b.update_queue() == 1 and _updated(poster_b) == [queued.id]

    await asyncio.sleep(0.3)  # b's engine died without a word: its lease runs out
    assert await a.update_queue() == 1
    assert a.editors.queue_editor and not await b.editors.elect()


async def test_the_rule_is_a_small_api_for_whatever_else_edits_a_jobs_message(sql_store: JobStore) -> None:
    await _with_status(sql_store, 300)
    [mine] = await sql_store.claim("w-a", lease_seconds=60)
    mine_rule, other_rule = EditorRule(sql_store, "w-a", lease_seconds=5), EditorRule(sql_store, "w-b", lease_seconds=5)
    assert mine_rule.edits(mine) and not other_rule.edits(mine)
    queued = await _with_status(sql_store, 301)
    assert await other_rule.elect() and not await mine_rule.elect()
    assert other_rule.edits(queued) and not mine_rule.edits(queued)
    done = await sql_store.complete(mine, result=png(8), meta={})
    assert not mine_rule.edits(done) and not other_rule.edits(done)  # a result is delivered, not edited by the rule
    assert EditorRule(sql_store, None, lease_seconds=5).edits(mine)  # one engine alone edits everything
