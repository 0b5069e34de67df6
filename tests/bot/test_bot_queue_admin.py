"""/queue …: hidden by default permissions, checked again at invoke time; server admins act on their own server."""

from __future__ import annotations

from bot import BotConfig, Stylebot
from bot._policy import Policy
from jobqueue import GuildSettings, JobState, NewJob
from tests.bot.support import World, make_config, reply_text, running_bot


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


async def test_a_servers_status_shows_nothing_of_another_server(world: World, bot: Stylebot) -> None:
    """Guild B's admin sees neither guild A's ids, nor its pause, nor the job an engine runs for it, nor the engines'
    names and hosts; the bot's owner still sees the whole queue."""
    s = world.standin
    job_id = await _queue_job(world, world.guild.id, world.member.id)
    await world.store.register_worker("gpu-box-41-abcdef", hostname="gpu-box.example", pid=41, device="cuda:0")
    [running] = await world.store.claim("gpu-box-41-abcdef", lease_seconds=60)
    await world.store.worker_heartbeat("gpu-box-41-abcdef", current_job_id=running.id)
    await world.store.pause(world.guild.id)
    other = s.add_guild("Other Server")
    other_admin = s.add_member(other.id, name="b-admin", admin=True)

    inter = await s.run_command("queue status", user=other_admin, guild_id=other.id)
    text = await reply_text(s, inter)
    assert "running" in text.splitlines()[0] and "1 alive, 0 running this server's jobs" in text, text
    for leak in (str(world.guild.id), f"#{job_id}", str(world.member.id), "gpu-box", "Paused servers"):
        assert leak not in text, (leak, text)

    owner = s.add_member(other.id, user_id=s.owner_id, name="owner")
    inter = await s.run_command("queue status", {"scope": "everywhere"}, user=owner, guild_id=other.id)
    text = await reply_text(s, inter)
    assert f"#{job_id}" in text and "gpu-box.example" in text and str(world.guild.id) in text, text


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


async def test_a_server_turns_instant_previews_off_and_on(world: World, bot: Stylebot) -> None:
    s = world.standin
    assert (await world.store.get_guild_settings(world.guild.id)).previews is None  # on by default
    inter = await s.run_command("queue limits", {"previews": False}, user=world.admin)
    text = await reply_text(s, inter)
    assert "Updated" in text
    assert (await world.store.get_guild_settings(world.guild.id)).previews is False
    inter = await s.run_command("queue limits", {"previews": True}, user=world.admin)
    await reply_text(s, inter)
    assert (await world.store.get_guild_settings(world.guild.id)).previews is True
    refused = await s.run_command("queue limits", {"previews": False}, user=world.member)  # not a server manager
    await reply_text(s, refused)
    assert (await world.store.get_guild_settings(world.guild.id)).previews is True


async def test_limits_above_the_operators_caps_are_refused_naming_the_cap(world: World, bot: Stylebot) -> None:
    s = world.standin  # the operator allows 3 jobs per member, 50 per server, 64 px
    for options, cap in [
        ({"per_member": 5}, "at most 3"),
        ({"per_server": 51}, "at most 50"),
        ({"max_size": 128}, "at most 64"),
    ]:
        inter = await s.run_command("queue limits", {**options, "cooldown": 5}, user=world.admin)
        text = await reply_text(s, inter)
        assert cap in text and "Nothing was changed" in text, text
        assert inter.callback is not None and inter.callback.ephemeral
    settings = await world.store.get_guild_settings(world.guild.id)
    assert (settings.max_queued_per_user, settings.max_queued_per_guild, settings.max_size) == (None, None, None)
    assert settings.cooldown_seconds is None  # a refused command changes nothing, not even its valid options

    inter = await s.run_command("queue limits", {"per_member": 2, "max_size": 48}, user=world.admin)
    assert "Updated" in await reply_text(s, inter)  # lower than the operator's: fine
    settings = await world.store.get_guild_settings(world.guild.id)
    assert (settings.max_queued_per_user, settings.max_size) == (2, 48)


async def test_a_server_may_lengthen_the_operators_cooldown_but_not_shorten_it(world: World) -> None:
    s = world.standin
    async with running_bot(s, world.store, make_config(s, cooldown_seconds=30.0)):
        inter = await s.run_command("queue limits", {"cooldown": 10}, user=world.admin)
        assert "cooldown option can be at least 30" in await reply_text(s, inter)
        assert (await world.store.get_guild_settings(world.guild.id)).cooldown_seconds is None
        inter = await s.run_command("queue limits", {"cooldown": 60}, user=world.admin)
        assert "Updated" in await reply_text(s, inter)
        assert (await world.store.get_guild_settings(world.guild.id)).cooldown_seconds == 60


def test_the_effective_limit_is_always_the_stricter_of_operator_and_server() -> None:
    """Values stored before the caps were enforced (or above a cap the operator lowered since) never loosen them."""
    config = BotConfig(max_queued_per_user=3, max_queued_per_guild=50, cooldown_seconds=10.0, max_size=512)
    loose = GuildSettings(
        guild_id=1, max_queued_per_user=9, max_queued_per_guild=500, cooldown_seconds=1.0, max_size=4096
    )
    policy = Policy.build(config, loose)
    assert (policy.max_queued_per_user, policy.max_queued_per_guild) == (3, 50)
    assert (policy.cooldown_seconds, policy.max_size) == (10.0, 512)
    strict = GuildSettings(
        guild_id=1, max_queued_per_user=1, max_queued_per_guild=5, cooldown_seconds=60.0, max_size=64
    )
    policy = Policy.build(config, strict)
    assert (policy.max_queued_per_user, policy.max_queued_per_guild, policy.cooldown_seconds, policy.max_size) == (
        1,
        5,
        60.0,
        64,
    )
