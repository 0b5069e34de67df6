"""/jobs, /forget, and command sync only when the payload changed."""

from __future__ import annotations

from bot import Stylebot
from jobqueue import BlobNotFound, JobState
from tests.bot.support import World, make_config, reply_text, running_bot


async def test_jobs_lists_only_the_callers_recent_jobs(world: World, bot: Stylebot) -> None:
    s = world.standin
    for count, user in enumerate((world.member, world.other), start=1):
        await s.run_command("stylize", world.images(), user=user)
        await s.wait_for(lambda n=count: len([m for m in s.messages if m.custom_ids]) == n)
    inter = await s.run_command("jobs", user=world.member)
    text = await reply_text(s, inter)
    mine = [j for j in await world.jobs() if j.user_id == world.member.id]
    theirs = [j for j in await world.jobs() if j.user_id == world.other.id]
    assert inter.callback is not None and inter.callback.ephemeral
    assert f"#{mine[0].id}" in text and f"#{theirs[0].id}" not in text


async def test_forget_cancels_queued_jobs_and_deletes_the_callers_images(world: World, bot: Stylebot) -> None:
    s = world.standin
    await s.run_command("stylize", world.images(), user=world.member)
    status = await s.wait_for_message(world.channel_id, lambda m: bool(m.custom_ids))
    [job] = await world.jobs()
    inter = await s.run_command("forget", user=world.member)
    text = await reply_text(s, inter)
    assert (
        "Deleted 1 job with their stored images, results and progress previews" in text
        and "1 job still queued was cancelled" in text
    )
    assert "1 edited" in text
    # the status message is not left saying "queued" (the job row is gone, so delivery never sees it again)
    assert status.embeds[0]["title"] == "Deleted" and "/forget" in status.embeds[0]["description"]
    assert not status.custom_ids  # no Cancel button for a job that no longer exists
    assert [j for j in await world.jobs() if j.state is JobState.QUEUED] == []
    try:
        await world.store.get_blob(job.content_sha)
    except BlobNotFound:
        pass
    else:
        raise AssertionError("the content image is still stored after /forget")


async def test_commands_are_synced_once_and_not_again_when_unchanged(world: World) -> None:
    s = world.standin
    config = make_config(s)
    async with running_bot(s, world.store, config):
        assert len(s.command_syncs) == 1
    async with running_bot(s, world.store, config):
        assert len(s.command_syncs) == 1  # same payload hash in the store: no second sync
    assert {c["name"] for c in s.commands()} >= {"stylize", "jobs", "forget", "queue"}


async def test_interactions_rejections_and_enqueues_are_counted_for_metrics(world: World) -> None:
    from prometheus_client import CollectorRegistry

    from stylebot.ops import BotMetrics

    registry = CollectorRegistry()
    s = world.standin
    async with running_bot(s, world.store, make_config(s)) as client:
        client.metrics = BotMetrics(registry)
        await s.run_command("stylize", world.images(), user=world.member)
        await s.wait_for_message(world.channel_id, lambda m: bool(m.custom_ids))
        await reply_text(s, await s.run_command("queue status", user=world.member))
    assert registry.get_sample_value("stylebot_interactions_total", {"command": "/stylize"}) == 1
    assert registry.get_sample_value("stylebot_interactions_total", {"command": "/queue status"}) == 1
    assert registry.get_sample_value("stylebot_rejections_total", {"reason": "NotAllowed"}) == 1
    assert registry.get_sample_value("stylebot_jobs_enqueued_total") == 1


async def test_forget_retires_orphan_status_messages_and_counts_what_it_did() -> None:
    """Queued (cancelled, then deleted) and finished-but-undelivered jobs lose their rows: their messages are edited;
    a running job is kept and counted; a delivered job's message already shows its result and is left alone."""
    from datetime import UTC, datetime

    from bot.exts.jobs._forget import forget, forget_reply
    from delivery.testing import RecordingPoster
    from jobqueue import DeliveryTarget, NewJob, TargetKind
    from jobqueue.testing import InMemoryJobStore

    store, poster = InMemoryJobStore(), RecordingPoster()
    sha = await store.put_blob(b"img")

    async def submit(message_id: int | None, user: int = 1) -> int:
        target = DeliveryTarget(
            kind=TargetKind.INTERACTION if message_id else TargetKind.NONE,
            application_id=5,
            interaction_token="t",
            token_created_at=datetime.now(UTC),
            channel_id=9,
            status_message_id=message_id,
        )
        new = NewJob(user_id=user, content_sha=sha, style_shas=(sha,), params={}, channel_id=9, target=target)
        return (await store.enqueue(new)).id

    running, finished, delivered = await submit(101), await submit(102), await submit(103)
    for job_id in (running, finished, delivered):
        [claimed] = await store.claim("w", lease_seconds=30)
        assert claimed.id == job_id
        if job_id != running:
            await store.complete(claimed, result=b"out", meta={})
    await store.mark_delivered(delivered)
    queued, cli, someone_else = await submit(104), await submit(None), await submit(105, user=2)

    result = await forget(store, 1, poster)
    assert (result.cancelled, result.deleted, result.running, result.retired) == (2, 4, 1, 2)
    assert {m.message_id for m in poster.messages.values()} == {102, 104}
    assert all(m.message.embed["title"] == "Deleted" and not m.message.buttons for m in poster.messages.values())
    assert (await store.get(running)).state.value == "running" and (await store.get(someone_else)).user_id == 2
    text = forget_reply(result)
    assert "Deleted 4 jobs" in text and "2 jobs still queued were cancelled" in text and "2 edited" in text
    assert "1 job running right now keeps its images" in text
    nothing = forget_reply(await forget(store, 3, poster))
    assert nothing.startswith("You have no stored jobs: there were no images to delete.")
    assert "withdrawn entries" in nothing and "anonymous counts" in nothing  # challenge rows are forgotten all the same
    del queued, cli
