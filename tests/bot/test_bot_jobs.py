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
    await s.wait_for_message(world.channel_id, lambda m: bool(m.custom_ids))
    [job] = await world.jobs()
    inter = await s.run_command("forget", user=world.member)
    text = await reply_text(s, inter)
    assert "Deleted the stored images" in text and "1 queued jobs were cancelled" in text
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
