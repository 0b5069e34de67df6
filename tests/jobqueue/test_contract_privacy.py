"""Contract: what the store stops keeping — superseded progress previews, everything `/forget` names, interaction
tokens after delivery or their 15 minutes — and one server's statistics naming no other server."""

from __future__ import annotations

import pytest

from jobqueue import BlobNotFound, DeliveryTarget, JobProgress, JobState, JobStore, NewJob, TargetKind
from tests.jobqueue.helpers import PNG, FakeClock, submit

LEASE = 30.0
TOKEN = "interaction-token-secret"


async def _gone(store: JobStore, sha: str) -> bool:
    try:
        await store.get_blob(sha)
    except BlobNotFound:
        return True
    return False


async def _preview(store: JobStore, job: object, n: int, step: int | None = None) -> str:
    """One heartbeat with a new preview, as the lease keeper sends it (the blob is stored first)."""
    sha = await store.put_blob(PNG + f"preview-{n}".encode())
    progress = JobProgress(step=step or n, total=10, loss=1.0, preview_sha=sha)
    await store.heartbeat(job, lease_seconds=LEASE, progress=progress)  # type: ignore[arg-type]
    return sha


async def test_a_new_preview_deletes_the_one_it_supersedes(store: JobStore) -> None:
    await submit(store, 1)
    [job] = await store.claim("w", lease_seconds=LEASE)
    first = await _preview(store, job, 1)
    second = await _preview(store, job, 2)
    assert await _gone(store, first) and not await _gone(store, second)
    await store.heartbeat(job, lease_seconds=LEASE, progress=JobProgress(step=3, total=10))  # no preview this time
    current = await store.get(job.id)
    assert current.progress is not None and current.progress.step == 3 and current.progress.preview_sha is None
    assert await _gone(store, second)
    third = await _preview(store, job, 4)
    await store.heartbeat(job, lease_seconds=LEASE)  # only the lease: the preview stays
    assert (await store.get(job.id)).progress.preview_sha == third  # type: ignore[union-attr]


async def test_a_superseded_preview_that_another_job_uses_is_kept(store: JobStore) -> None:
    await submit(store, 1)
    [job] = await store.claim("w", lease_seconds=LEASE)
    first = await _preview(store, job, 1)
    same_bytes = await store.put_blob(PNG + b"preview-1")  # a member uploads the preview as a style
    assert same_bytes == first
    await store.enqueue(NewJob(user_id=2, content_sha=job.content_sha, style_shas=(same_bytes,), params={}))
    await _preview(store, job, 2)
    assert not await _gone(store, first)


async def test_forget_user_leaves_none_of_the_previews_of_the_members_jobs(store: JobStore) -> None:
    await submit(store, 1)
    [job] = await store.claim("w", lease_seconds=LEASE)
    previews = [await _preview(store, job, n) for n in (1, 2, 3)]
    await store.complete(job, result=PNG + b"result", meta={}, progress=JobProgress(step=10, total=10))
    assert (await store.get(job.id)).progress.preview_sha == previews[-1]  # type: ignore[union-attr]
    assert await store.forget_user(1) == 1
    assert [await _gone(store, sha) for sha in previews] == [True, True, True]


async def test_a_job_back_in_the_queue_loses_its_preview(store: JobStore, clock: FakeClock) -> None:
    await submit(store, 1, max_attempts=5)
    [job] = await store.claim("w", lease_seconds=LEASE)
    seen = [await _preview(store, job, 1)]
    await store.fail(job, error="out of memory", retryable=True)
    clock.advance(120)
    [job] = await store.claim("w", lease_seconds=LEASE)
    seen.append(await _preview(store, job, 2))
    await store.release(job)
    [job] = await store.claim("w", lease_seconds=LEASE)
    seen.append(await _preview(store, job, 3))
    clock.advance(LEASE + 1)
    assert await store.reap_expired() == 1  # lease expired: back in the queue
    clock.advance(120)
    [job] = await store.claim("w", lease_seconds=LEASE)
    seen.append(await _preview(store, job, 4))
    await store.fail(job, error="bad input", retryable=False)
    await store.retry(job.id)
    assert [await _gone(store, sha) for sha in seen] == [True, True, True, True]
    progress = (await store.get(job.id)).progress
    assert progress is None or progress.preview_sha is None


def _interaction(token_created_at: object) -> DeliveryTarget:
    return DeliveryTarget(
        kind=TargetKind.INTERACTION,
        application_id=1,
        interaction_id=2,
        interaction_token=TOKEN,
        token_created_at=token_created_at,  # type: ignore[arg-type]
        channel_id=3,
    )


async def test_delivery_drops_the_interaction_token(store: JobStore, clock: FakeClock) -> None:
    job = await submit(store, 1, target=_interaction(clock.now))
    [claimed] = await store.claim("w", lease_seconds=LEASE)
    await store.complete(claimed, result=PNG + b"result", meta={})
    assert (await store.get(job.id)).target.interaction_token == TOKEN
    await store.mark_delivered(job.id)
    delivered = await store.get(job.id)
    assert delivered.delivered_at is not None and delivered.target.interaction_token is None
    assert delivered.target.token_created_at is not None  # when it was made stays (delivery's timing uses it)


async def test_interaction_tokens_are_dropped_after_fifteen_minutes(store: JobStore, clock: FakeClock) -> None:
    queued = await submit(store, 1, target=_interaction(clock.now))
    clock.advance(14 * 60)
    fresh = await submit(store, 2, target=_interaction(clock.now))
    assert await store.expire_interaction_tokens() == 0
    clock.advance(2 * 60)
    assert await store.expire_interaction_tokens() == 1
    assert (await store.get(queued.id)).target.interaction_token is None  # undelivered, but the token is dead
    assert (await store.get(fresh.id)).target.interaction_token == TOKEN
    assert await store.expire_interaction_tokens() == 0


@pytest.mark.parametrize("scope", [11, None])
async def test_a_servers_stats_name_no_other_server(store: JobStore, scope: int | None) -> None:
    a = 10
    await submit(store, 1, guild_id=a)
    await store.register_worker("engine-1", hostname="gpu-box.example", pid=7, device="cuda:0")
    [running] = await store.claim("engine-1", lease_seconds=LEASE)
    await store.worker_heartbeat("engine-1", current_job_id=running.id)
    await store.pause(a)
    stats = await store.stats(guild_id=scope)
    if scope is None:  # the whole queue (the bot's owner, the operator's CLI) sees everything
        assert stats.paused_guilds == (a,) and [j.id for j in stats.running] == [running.id]
        assert [w.current_job_id for w in stats.workers] == [running.id]
        return
    assert stats.paused_guilds == () and not stats.paused and stats.running == ()
    assert sum(stats.counts.values()) == 0
    assert [w.current_job_id for w in stats.workers] == [None]  # an engine is alive; whose job it runs is not said
    own = await store.stats(guild_id=a)
    assert own.paused and own.paused_guilds == (a,) and [w.current_job_id for w in own.workers] == [running.id]
    assert (await store.get(running.id)).state is JobState.RUNNING
