"""Contract: fairness, limits, idempotency, pause, position/ETA, stats, workers, delivery, settings, blobs, GC."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jobqueue import (
    BlobNotFound,
    DeliveryTarget,
    EnqueueLimits,
    JobState,
    JobStore,
    QueueLimitExceeded,
    TargetKind,
)
from tests.jobqueue.helpers import FakeClock, submit


async def _drain_order(store: JobStore) -> list[int]:
    order = []
    while jobs := await store.claim("w", lease_seconds=30):
        order.append(jobs[0].user_id)
        await store.complete(jobs[0], result=b"r", meta={})
    return order


async def test_one_users_ten_jobs_do_not_starve_another_users_one(store: JobStore) -> None:
    for _ in range(10):
        await submit(store, 1)
    await submit(store, 2)
    order = await _drain_order(store)
    assert order.index(2) <= 1, order


async def test_users_are_served_round_robin(store: JobStore) -> None:
    for _ in range(3):
        await submit(store, 1)
    for _ in range(3):
        await submit(store, 2)
    await submit(store, 3)
    assert await _drain_order(store) == [1, 2, 3, 1, 2, 1, 2]


async def test_newcomer_joins_the_current_round_not_the_back(store: JobStore) -> None:
    for _ in range(6):
        await submit(store, 1)
    for _ in range(3):
        [job] = await store.claim("w", lease_seconds=30)
        await store.complete(job, result=b"r", meta={})
    await submit(store, 2)
    order = await _drain_order(store)
    assert order.index(2) <= 1, order


async def test_priority_breaks_ties_within_a_round(store: JobStore) -> None:
    await submit(store, 1)
    urgent = await submit(store, 2, priority=5)
    [first] = await store.claim("w", lease_seconds=30)
    assert first.id == urgent.id


async def test_user_limit_counts_queued_and_running(store: JobStore) -> None:
    limits = EnqueueLimits(max_queued_per_user=2)
    await submit(store, 1, limits=limits)
    await submit(store, 1, limits=limits)
    await store.claim("w", lease_seconds=30)  # one running, one queued: still 2
    with pytest.raises(QueueLimitExceeded) as info:
        await submit(store, 1, limits=limits)
    assert (info.value.scope, info.value.limit, info.value.current) == ("user", 2, 2)
    await submit(store, 2, limits=limits)  # other users are not affected


async def test_guild_limit(store: JobStore) -> None:
    limits = EnqueueLimits(max_queued_per_guild=2)
    await submit(store, 1, guild_id=5, limits=limits)
    await submit(store, 2, guild_id=5, limits=limits)
    with pytest.raises(QueueLimitExceeded) as info:
        await submit(store, 3, guild_id=5, limits=limits)
    assert info.value.scope == "guild"
    await submit(store, 3, guild_id=6, limits=limits)


async def test_finished_jobs_free_the_limit(store: JobStore) -> None:
    limits = EnqueueLimits(max_queued_per_user=1)
    await submit(store, 1, limits=limits)
    [job] = await store.claim("w", lease_seconds=30)
    await store.complete(job, result=b"r", meta={})
    await submit(store, 1, limits=limits)


async def test_enqueue_is_idempotent_on_the_key(store: JobStore) -> None:
    first = await submit(store, 1, idempotency_key="discord:1")
    second = await submit(store, 1, idempotency_key="discord:1")
    assert first.id == second.id
    assert len(await store.list_jobs()) == 1


async def test_idempotent_enqueue_ignores_limits_for_the_existing_job(store: JobStore) -> None:
    limits = EnqueueLimits(max_queued_per_user=1)
    first = await submit(store, 1, idempotency_key="k", limits=limits)
    assert (await submit(store, 1, idempotency_key="k", limits=limits)).id == first.id


async def test_global_pause_stops_claims_until_resume(store: JobStore) -> None:
    await submit(store)
    await store.pause()
    assert await store.is_paused()
    assert await store.claim("w", lease_seconds=30) == []
    assert (await store.stats()).paused
    await store.resume()
    assert not await store.is_paused()
    assert len(await store.claim("w", lease_seconds=30)) == 1


async def test_guild_pause_skips_only_that_guilds_jobs(store: JobStore) -> None:
    await submit(store, 1, guild_id=10)
    other = await submit(store, 2, guild_id=20)
    await store.pause(10)
    assert await store.is_paused(10) and not await store.is_paused(20) and not await store.is_paused()
    [job] = await store.claim("w", lease_seconds=30)
    assert job.id == other.id
    assert await store.claim("w", lease_seconds=30) == []
    assert (await store.stats()).paused_guilds == (10,)
    await store.resume(10)
    assert len(await store.claim("w", lease_seconds=30)) == 1


async def test_position_and_eta(store: JobStore, clock: FakeClock) -> None:
    a = await submit(store, 1)
    b = await submit(store, 2)
    c = await submit(store, 1)
    pos = await store.position(c.id)
    assert pos is not None and (pos.position, pos.ahead, pos.eta_seconds) == (3, 2, None)
    await store.register_worker("w", hostname="h", pid=1, device="cpu")
    [job] = await store.claim("w", lease_seconds=30)
    assert job.id == a.id
    clock.advance(10)
    await store.complete(job, result=b"r", meta={})
    assert await store.position(a.id) is None
    pos_b, pos_c = await store.position(b.id), await store.position(c.id)
    assert pos_b is not None and pos_b.position == 1 and pos_b.eta_seconds == pytest.approx(10)
    assert pos_c is not None and pos_c.position == 2 and pos_c.eta_seconds == pytest.approx(20)
    assert pos_c.workers_alive == 1


async def test_stats_counts_running_workers_and_means(store: JobStore, clock: FakeClock) -> None:
    await submit(store, 1, guild_id=1)
    await submit(store, 2, guild_id=2)
    await submit(store, 3, guild_id=1)
    await store.register_worker("w", hostname="h", pid=1, device="cpu")
    clock.advance(4)
    [job] = await store.claim("w", lease_seconds=30)
    clock.advance(6)
    await store.complete(job, result=b"r", meta={})
    [running] = await store.claim("w", lease_seconds=30)
    stats = await store.stats()
    assert stats.counts[JobState.SUCCEEDED] == 1 and stats.counts[JobState.RUNNING] == 1
    assert stats.counts[JobState.QUEUED] == 1 and stats.counts[JobState.DEAD] == 0
    assert [j.id for j in stats.running] == [running.id]
    assert [w.worker_id for w in stats.workers] == ["w"]
    assert stats.mean_run_seconds == pytest.approx(6)
    assert stats.mean_wait_seconds == pytest.approx(7)  # 4 s and 10 s
    g1 = await store.stats(guild_id=1)
    assert sum(g1.counts.values()) == 2


async def test_workers_register_heartbeat_and_go_stale(store: JobStore, clock: FakeClock) -> None:
    await store.register_worker("w1", hostname="gpu-box", pid=42, device="cuda:0")
    await store.register_worker("w2", hostname="cpu-box", pid=43, device=None)
    clock.advance(50)
    await store.worker_heartbeat("w1", current_job_id=7)
    clock.advance(20)
    [alive] = await store.live_workers(within_seconds=60)
    assert (alive.worker_id, alive.hostname, alive.pid, alive.device, alive.current_job_id) == (
        "w1",
        "gpu-box",
        42,
        "cuda:0",
        7,
    )
    await store.unregister_worker("w1")
    assert [w.worker_id for w in await store.live_workers(within_seconds=600)] == ["w2"]


async def test_pending_deliveries_and_mark_delivered(store: JobStore) -> None:
    target = DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=5)
    await submit(store, 1)  # no target: never delivered
    job = await submit(store, 2, target=target)
    assert await store.pending_deliveries() == []
    for claimed in await store.claim("w", lease_seconds=30, limit=2):
        await store.complete(claimed, result=b"r", meta={})
    [pending] = await store.pending_deliveries()
    assert pending.id == job.id and pending.target.channel_id == 5
    await store.set_status_message(job.id, 777)
    assert (await store.get(job.id)).target.status_message_id == 777
    await store.mark_delivered(job.id)
    await store.mark_delivered(job.id)
    assert await store.pending_deliveries() == []
    assert (await store.get(job.id)).delivered_at is not None


async def test_interaction_target_round_trips(store: JobStore, clock: FakeClock) -> None:
    target = DeliveryTarget(
        kind=TargetKind.INTERACTION,
        application_id=1,
        interaction_id=2,
        interaction_token="tok" * 20,
        token_created_at=clock.now,
        channel_id=3,
    )
    job = await submit(store, 1, target=target, idempotency_key="discord:2")
    assert (await store.get(job.id)).target == target


async def test_list_jobs_filters_newest_first(store: JobStore) -> None:
    a = await submit(store, 1, guild_id=1)
    b = await submit(store, 2, guild_id=1, kind="challenge")
    c = await submit(store, 1, guild_id=2)
    assert [j.id for j in await store.list_jobs()] == [c.id, b.id, a.id]
    assert [j.id for j in await store.list_jobs(user_id=1)] == [c.id, a.id]
    assert [j.id for j in await store.list_jobs(guild_id=1, kind="challenge")] == [b.id]
    await store.cancel(a.id)
    assert [j.id for j in await store.list_jobs(states=[JobState.CANCELLED])] == [a.id]
    assert len(await store.list_jobs(limit=2)) == 2


async def test_last_enqueued_at(store: JobStore, clock: FakeClock) -> None:
    assert await store.last_enqueued_at(1) is None
    await submit(store, 1, guild_id=1)
    clock.advance(5)
    await submit(store, 1, guild_id=2)
    assert await store.last_enqueued_at(1) == clock.now
    assert await store.last_enqueued_at(1, guild_id=1) == clock.now - timedelta(seconds=5)


async def test_purge_cancels_queued_jobs_in_scope(store: JobStore) -> None:
    await submit(store, 1, guild_id=1)
    await submit(store, 1, guild_id=2)
    keep = await submit(store, 2, guild_id=1)
    assert await store.purge(user_id=1) == 2
    assert (await store.get(keep.id)).state is JobState.QUEUED
    assert await store.purge(guild_id=1) == 1
    assert await store.purge() == 0


async def test_guild_settings_defaults_and_updates(store: JobStore) -> None:
    assert (await store.get_guild_settings(9)).max_steps is None
    updated = await store.update_guild_settings(
        9, max_steps=200, allowed_presets=["fast"], blocked_users={5, 6}, cooldown_seconds=2.5
    )
    assert updated.max_steps == 200 and updated.allowed_presets == ("fast",)
    assert updated.blocked_users == frozenset({5, 6})
    again = await store.get_guild_settings(9)
    assert again == updated
    with pytest.raises(TypeError):
        await store.update_guild_settings(9, no_such_field=1)


async def test_meta_key_values(store: JobStore) -> None:
    assert await store.get_meta("commands_hash") is None
    await store.set_meta("commands_hash", "abc")
    await store.set_meta("commands_hash", "def")
    assert await store.get_meta("commands_hash") == "def"


async def test_blobs_are_deduplicated_by_sha256(store: JobStore) -> None:
    import hashlib

    a = await store.put_blob(b"same bytes")
    b = await store.put_blob(b"same bytes", "image/jpeg")
    assert a == b == hashlib.sha256(b"same bytes").hexdigest()
    assert await store.get_blob(a) == b"same bytes"
    with pytest.raises(BlobNotFound):
        await store.get_blob("0" * 64)


async def test_a_megabyte_blob_round_trips_and_deduplicates(store: JobStore) -> None:
    import hashlib

    data = bytes(range(256)) * 4096 * 3  # 3 MiB: above the size the SQL store moves off the event loop
    sha = await store.put_blob(data)
    assert sha == await store.put_blob(data) == hashlib.sha256(data).hexdigest()
    assert await store.get_blob(sha) == data


async def test_gc_keeps_recent_and_active_jobs_blobs(store: JobStore, clock: FakeClock) -> None:
    old = await submit(store, 1)
    [job] = await store.claim("w", lease_seconds=30)
    done = await store.complete(job, result=b"old result", meta={})
    orphan = await store.put_blob(b"orphan")
    clock.advance(100)
    queued = await submit(store, 2)
    assert await store.gc(retention_seconds=1000) == 0
    clock.advance(1000)
    removed = await store.gc(retention_seconds=1000)
    assert removed == 3  # old content, old result and the orphan; the style is shared with the queued job
    for sha in (old.content_sha, done.result_sha, orphan):
        with pytest.raises(BlobNotFound):
            await store.get_blob(sha)
    assert await store.get_blob(queued.content_sha)
    assert await store.get_blob(queued.style_shas[0])


async def test_forget_user_deletes_their_jobs_and_unshared_images(store: JobStore) -> None:
    mine = await submit(store, 1)
    theirs = await submit(store, 2)
    assert await store.forget_user(1) == 1
    with pytest.raises(BlobNotFound):
        await store.get_blob(mine.content_sha)
    assert await store.get_blob(theirs.style_shas[0])  # shared style stays
    assert [j.id for j in await store.list_jobs()] == [theirs.id]


async def test_forget_user_spares_running_jobs(store: JobStore) -> None:
    await submit(store, 1)
    [running] = await store.claim("w", lease_seconds=30)
    await submit(store, 1)
    assert await store.forget_user(1) == 1
    assert (await store.get(running.id)).state is JobState.RUNNING


@pytest.mark.parametrize(("asked_in", "posted_to"), [(10, 20), (None, 20), (10, None), (10, 10)])
async def test_the_job_s_channel_and_its_delivery_channel_are_kept_apart(
    store: JobStore, asked_in: int | None, posted_to: int | None
) -> None:
    """`Job.channel_id` is where the request was made; `target.channel_id` is where delivery posts (a challenge
    entry is made in the challenge's channel and posted to its gallery). Every store keeps both as given."""
    target = DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=posted_to, thread_id=30)
    job = await submit(store, channel_id=asked_in, target=target)
    [claimed] = await store.claim("w", lease_seconds=30)
    for seen in (job, await store.get(job.id), claimed, (await store.list_jobs())[0]):
        assert (seen.channel_id, seen.target.channel_id, seen.target.thread_id) == (asked_in, posted_to, 30)
