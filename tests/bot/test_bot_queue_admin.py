"""/queue …: hidden by default permissions, checked again at invoke time; server admins act on their own server."""

from __future__ import annotations

from bot import Stylebot
from jobqueue import JobState, NewJob
from tests.bot.support import World, reply_text


async def _queue_job(world: World, guild_id: int | None, user_id: int) -> int:
    sha = await world.store.put_blob(b"not-an-image-but-a-blob")
    job = await world.store.enqueue(
        NewJob(user_id=user_id, content_sha=sha, style_shas=(sha,), params={}, guild_id=guild_id)
    )
    return job.id


async def test_member_running_an_admin_command_is_refused_ephemerally(world: World, bot: Stylebot) -> None:
    s = world.standin
    job_id = await _queue_job(world, world.guild.id, world.other.id)
    for command, options in [("queue status", {}), ("queue pause", {}), ("queue cancel", {"job": job_id})]:
        inter = await s.run_command(command, options, user=world.member)
        text = await reply_text(s, inter)
        assert inter.callback is not None and inter.callback.ephemeral
        assert "Manage Server" in text, text
    assert not await world.store.is_paused(world.guild.id)
    assert (await world.store.get(job_id)).state is JobState.QUEUED


async def test_admin_sees_status_and_pauses_and_resumes_only_their_server(world: World, bot: Stylebot) -> None:
    s = world.standin
    await _queue_job(world, world.guild.id, world.member.id)
    inter = await s.run_command("queue status", user=world.admin)
    text = await reply_text(s, inter)
    assert inter.callback is not None and inter.callback.ephemeral
    assert "queued 1" in text and "none alive" in text

    await reply_text(s, await s.run_command("queue pause", user=world.admin))
    assert await world.store.is_paused(world.guild.id) and not await world.store.is_paused()

    refused = await s.run_command("queue pause", {"everywhere": True}, user=world.admin)
    assert "the bot's owner" in await reply_text(s, refused)
    assert not await world.store.is_paused()

    await reply_text(s, await s.run_command("queue resume", user=world.admin))
    assert not await world.store.is_paused(world.guild.id)


async def test_bot_owner_may_pause_the_whole_queue(world: World, bot: Stylebot) -> None:
    s = world.standin
    owner = s.add_member(world.guild.id, user_id=s.owner_id, name="owner")
    inter = await s.run_command("queue pause", {"everywhere": True}, user=owner)
    assert "whole queue" in await reply_text(s, inter)
    assert await world.store.is_paused()


async def test_admin_cannot_touch_another_servers_job(world: World, bot: Stylebot) -> None:
    s = world.standin
    elsewhere = await _queue_job(world, 12345, world.member.id)
    inter = await s.run_command("queue cancel", {"job": elsewhere}, user=world.admin)
    assert f"no job #{elsewhere}" in await reply_text(s, inter)
    assert (await world.store.get(elsewhere)).state is JobState.QUEUED

    here = await _queue_job(world, world.guild.id, world.member.id)
    inter = await s.run_command("queue cancel", {"job": here}, user=world.admin)
    assert "cancelled" in await reply_text(s, inter)
    assert (await world.store.get(here)).state is JobState.CANCELLED

    inter = await s.run_command("queue retry", {"job": here}, user=world.admin)
    assert "queued again" in await reply_text(s, inter)
    assert (await world.store.get(here)).state is JobState.QUEUED


async def test_limits_block_and_purge_change_this_servers_policy(world: World, bot: Stylebot) -> None:
    s = world.standin
    inter = await s.run_command("queue limits", {"per_member": 2, "cooldown": 30, "presets": "fast"}, user=world.admin)
    assert "Updated" in await reply_text(s, inter)
    settings = await world.store.get_guild_settings(world.guild.id)
    assert settings.max_queued_per_user == 2 and settings.cooldown_seconds == 30
    assert settings.allowed_presets == ("fast",)

    queued = await _queue_job(world, world.guild.id, world.member.id)
    inter = await s.run_command("queue block", {"user": world.member}, user=world.admin)
    await reply_text(s, inter)
    assert world.member.id in (await world.store.get_guild_settings(world.guild.id)).blocked_users
    assert (await world.store.get(queued)).state is JobState.CANCELLED  # a blocked member's queued jobs go
    refused = await s.run_command("stylize", world.images(), user=world.member)
    assert "blocked you" in await reply_text(s, refused)

    await reply_text(s, await s.run_command("queue unblock", {"user": world.member}, user=world.admin))
    assert world.member.id not in (await world.store.get_guild_settings(world.guild.id)).blocked_users

    other = await _queue_job(world, world.guild.id, world.other.id)
    inter = await s.run_command("queue purge", {"user": world.other}, user=world.admin)
    assert "Cancelled 1" in await reply_text(s, inter)
    assert (await world.store.get(other)).state is JobState.CANCELLED
