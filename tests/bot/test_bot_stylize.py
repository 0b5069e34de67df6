"""/stylize against the stand-in: ephemeral acknowledgement, public status message, and every rejection."""

from __future__ import annotations

from typing import Any

import pytest

from bot import Stylebot
from jobqueue import JobState, TargetKind
from standin import Standin
from tests.bot.support import World, make_config, png_bytes, reply_text, running_bot, until


async def _status_message(world: World) -> Any:
    return await world.standin.wait_for_message(world.channel_id, lambda m: not m.ephemeral and bool(m.embeds))


async def test_stylize_acks_ephemerally_posts_a_public_status_message_and_queues_one_job(
    world: World, bot: Stylebot
) -> None:
    s = world.standin
    inter = await s.run_command("stylize", {**world.images(), "strength": 1.5, "seed": 7}, user=world.member)
    status = await _status_message(world)

    assert inter.callback is not None and inter.callback.type == 5 and inter.callback.ephemeral
    assert "Queued as job #" in await reply_text(s, inter)
    assert inter.original is not None and inter.original.ephemeral
    [job] = await world.jobs()
    assert job.state is JobState.QUEUED and job.user_id == world.member.id and job.guild_id == world.guild.id
    assert job.idempotency_key == f"discord:{inter.id}"
    assert job.params["strength"] == 1.5 and job.params["seed"] == 7 and job.params["size"] == 32
    assert job.target.kind is TargetKind.INTERACTION and job.target.interaction_token == inter.token
    assert len(job.style_shas) == 1 and await world.store.get_blob(job.content_sha)
    # the public status message: who, where in line, the Cancel button; its id is stored for delivery's edits
    assert status in inter.followups and not status.ephemeral
    assert status.custom_ids == [f"sb1:job:{job.id}:cancel"]
    assert "#1" in status.text()
    stored = await until(lambda: _status_id(world, job.id))
    assert stored == status.id
    assert "No engine is running" in status.text()  # no heartbeat from any engine in this test


async def test_second_style_and_preserve_colors_reach_the_job(world: World, bot: Stylebot) -> None:
    s = world.standin
    options = {**world.images(), "style2": s.add_attachment(png_bytes(40, 40, 5), "s2.png", "image/png")}
    await s.run_command("stylize", {**options, "preserve_colors": True}, user=world.member)
    await _status_message(world)
    [job] = await world.jobs()
    assert len(job.style_shas) == 2 and job.params["preserve_colors"] is True


async def test_size_above_the_limit_is_clamped_with_a_note(world: World, bot: Stylebot) -> None:
    inter = await world.standin.run_command("stylize", {**world.images(), "size": 2000}, user=world.member)
    await _status_message(world)
    [job] = await world.jobs()
    assert job.params["size"] == 64  # STYLEBOT_MAX_SIZE in these tests
    assert "using 64 px" in await reply_text(world.standin, inter)
    assert job.params["notes"] == ["Size 2000 px is above the limit here; using 64 px."]  # delivery shows them


async def _status_id(world: World, job_id: int) -> int | None:
    return (await world.store.get(job_id)).target.status_message_id


def _bad(s: Standin, kind: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(attachment, extra interaction fields, a phrase the reply must contain) for one bad upload."""
    png = png_bytes(48, 48)
    if kind == "wrong type":
        return s.add_attachment(b"just some notes\n", "notes.txt", "text/plain"), {}, "not an image"
    if kind == "too big":
        big = png_bytes(96, 96)  # larger than the content image, which stays within the limit
        return s.add_attachment(big, "big.png", "image/png"), {"attachment_size_limit": len(big) - 1}, "limit"
    if kind == "bad host":
        att = s.add_attachment(png, "a.png", "image/png")
        url = "https://evil.example/attachments/a.png"
        s.file(att).meta.update(url=url, proxy_url=url)  # what the interaction's resolved attachment will say
        return att, {}, "not hosted on Discord"
    if kind == "broken bytes":
        data = png[:60] + b"\x00" * 40
        return s.add_attachment(data, "broken.png", "image/png", width=48, height=48), {}, "damaged"
    if kind == "huge dimensions":  # the bytes are a fine 48 px PNG: only the declared metadata can refuse it
        return s.add_attachment(png, "huge.png", "image/png", width=20_000, height=20_000), {}, "MP limit"
    assert kind == "too small"
    return s.add_attachment(png_bytes(8, 8), "tiny.png", "image/png"), {}, "at least 16 px"


@pytest.mark.parametrize("kind", ["wrong type", "too big", "bad host", "huge dimensions", "broken bytes", "too small"])
async def test_bad_attachment_is_refused_ephemerally_and_nothing_is_queued(
    world: World, bot: Stylebot, kind: str
) -> None:
    s = world.standin
    attachment, extra, phrase = _bad(s, kind)
    good = world.images()
    inter = await s.run_command(
        "stylize", {"content": good["content"], "style": attachment}, user=world.member, **extra
    )
    text = await reply_text(s, inter)

    assert inter.callback is not None and inter.callback.ephemeral
    assert text.startswith("Your style image can't be used:"), text
    assert phrase in text
    assert await world.jobs() == []
    assert world.public_messages() == []


async def test_cooldown_says_when_the_member_may_try_again(world: World, bot: Stylebot) -> None:
    s = world.standin
    await world.store.update_guild_settings(world.guild.id, cooldown_seconds=600)
    await s.run_command("stylize", world.images(), user=world.member)
    await _status_message(world)
    inter = await s.run_command("stylize", world.images(), user=world.member)
    text = await reply_text(s, inter)
    assert inter.callback is not None and inter.callback.ephemeral
    assert "going a bit fast" in text and "<t:" in text and ":R>" in text
    assert len(await world.jobs()) == 1


async def test_per_member_limit_refuses_the_next_job_with_what_to_do(world: World, bot: Stylebot) -> None:
    s = world.standin
    await world.store.update_guild_settings(world.guild.id, max_queued_per_user=1)
    await s.run_command("stylize", world.images(), user=world.member)
    await _status_message(world)
    inter = await s.run_command("stylize", world.images(), user=world.member)
    text = await reply_text(s, inter)
    assert "limit is 1" in text and "/jobs" in text
    assert inter.original is not None and inter.original.ephemeral
    assert len(await world.jobs()) == 1


async def test_blocked_member_is_refused(world: World, bot: Stylebot) -> None:
    await world.store.update_guild_settings(world.guild.id, blocked_users=frozenset({world.member.id}))
    inter = await world.standin.run_command("stylize", world.images(), user=world.member)
    assert "blocked you" in await reply_text(world.standin, inter)
    assert await world.jobs() == []


async def test_stylize_decodes_within_the_bots_one_pixel_budget(world: World) -> None:
    s = world.standin
    config = make_config(s, decode_budget_pixels=48 * 48 - 1)  # both 48 x 48 pictures are above it
    async with running_bot(s, world.store, config) as bot:
        inter = await s.run_command("stylize", world.images(), user=world.member)
        assert "more than this bot can decode" in await reply_text(s, inter)
        assert await world.jobs() == [] and bot.decode_budget.in_use == 0


async def test_an_animated_gif_content_becomes_one_animated_job_with_its_frames(world: World, bot: Stylebot) -> None:
    from engine.animation import decode_animation
    from tests.engine.animated import animated, panning_frames

    s = world.standin
    gif = animated(panning_frames(5), "GIF", durations=[40, 50, 60, 70, 80], loop=0)
    content = s.add_attachment(gif, "clip.gif", "image/gif")
    await s.run_command("stylize", {**world.images(), "content": content}, user=world.member)
    await _status_message(world)
    [job] = await world.jobs()
    assert job.params["animated"] is True and job.params["frames"] == 5
    stored = decode_animation(await world.store.get_blob(job.content_sha))  # a clean APNG with every frame
    assert len(stored.frames) == 5 and stored.durations == (40, 50, 60, 70, 80)


async def test_an_animation_that_cannot_fit_the_upload_limit_is_refused_before_queueing(
    world: World, bot: Stylebot
) -> None:
    from PIL import Image

    from tests.engine.animated import animated

    s = world.standin  # 48 tiny flat frames: a small file whose 64 px result cannot be as small
    gif = animated([Image.new("RGB", (16, 16), (5 * i, 80, 90)) for i in range(48)], "GIF")
    content = s.add_attachment(gif, "clip.gif", "image/gif")
    options = {**world.images(), "content": content, "size": 64}
    inter = await s.run_command("stylize", options, user=world.member, attachment_size_limit=len(gif) + 1)
    text = await reply_text(s, inter)
    assert "would not fit this server's upload limit" in text and await world.jobs() == []
