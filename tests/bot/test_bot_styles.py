"""The style library against the stand-in: /style add and its refusals, /stylize with an autocompleted style_name,
right-click → Apps → Stylize (attachment and image link), /forget of a right-clicked picture's owner, /help."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import Stylebot
from jobqueue import BlobNotFound, JobNotFound, JobState, SqlStyleStore
from standin import EPHEMERAL, Message
from tests.bot.support import World, make_config, png_bytes, reply_text, standin_world
from tests.standin.support import connected


@pytest.fixture
async def lib_world(tmp_path: Path) -> AsyncIterator[tuple[World, SqlStyleStore]]:
    async with standin_world(f"sqlite+aiosqlite:///{tmp_path / 'lib.db'}", styles=True) as world:
        styles = SqlStyleStore(world.store)  # type: ignore[arg-type]
        bot = Stylebot(make_config(world.standin), world.store, styles=styles, guild_ready_timeout=0.05)
        async with connected(bot, world.standin.token):
            yield world, styles


def _public_status(world: World) -> Message | None:
    return next((m for m in world.public_messages() if m.custom_ids), None)


async def _add(world: World, name: str = "Blue Period", *, user: object = None) -> str:
    s = world.standin
    image = s.add_attachment(png_bytes(40, 40, 5), "blue.png", "image/png")
    inter = await s.run_command("style add", {"name": name, "image": image}, user=user or world.admin)
    return await reply_text(s, inter)


async def test_an_organisers_style_autocompletes_and_stylize_queues_with_its_picture(
    lib_world: tuple[World, SqlStyleStore],
) -> None:
    world, styles = lib_world
    s = world.standin
    assert "Added **Blue Period**" in await _add(world)
    auto = await s.autocomplete("stylize", {"style_name": "blu"}, "style_name", user=world.member)
    callback = await s.wait_for(lambda: auto.callback, what="the choices")
    assert callback.type == 8 and [c["name"] for c in callback.data["choices"]] == ["Blue Period"]
    everything = await s.autocomplete("stylize", {"style_name": ""}, "style_name", user=world.member)
    names = [c["name"] for c in (await s.wait_for(lambda: everything.callback)).data["choices"]]
    assert names[0] == "Blue Period" and "Starry Night" in names

    content = s.add_attachment(png_bytes(40, 40, 1), "me.png", "image/png")
    inter = await s.run_command("stylize", {"content": content, "style_name": "blue period"}, user=world.member)
    assert "Queued as job #" in await reply_text(s, inter)
    [job] = await world.jobs()
    assert job.style_shas == ((await styles.get(world.guild.id, "Blue Period")).sha,)
    assert await s.wait_for(lambda: _public_status(world), what="the public status message")


async def test_stylize_with_a_builtin_and_without_any_style(lib_world: tuple[World, SqlStyleStore]) -> None:
    world, _ = lib_world
    s = world.standin
    content = s.add_attachment(png_bytes(40, 40, 1), "me.png", "image/png")
    inter = await s.run_command("stylize", {"content": content, "style_name": "Starry Night"}, user=world.member)
    assert "Queued as job #" in await reply_text(s, inter)
    bare = await s.run_command("stylize", {"content": content}, user=world.member)
    assert "style" in await reply_text(s, bare) and len(await world.jobs()) == 1
    unknown = await s.run_command("stylize", {"content": content, "style_name": "Nope"}, user=world.member)
    assert "no style called Nope" in await reply_text(s, unknown)


async def test_members_without_the_right_cannot_add_or_remove_styles(lib_world: tuple[World, SqlStyleStore]) -> None:
    world, styles = lib_world
    s = world.standin
    refusal = await _add(world, "Mine", user=world.member)
    assert "can't add styles" in refusal and "Manage Server" in refusal
    await _add(world)
    inter = await s.run_command("style remove", {"name": "Blue Period"}, user=world.member)
    assert "can't remove styles" in await reply_text(s, inter)
    assert inter.callback is not None and inter.callback.flags & EPHEMERAL
    assert [st.name for st in await styles.list_styles(world.guild.id)] == ["Blue Period"]
    assert s.downloads() == [200]  # the member's upload was never fetched


@pytest.mark.parametrize(
    ("name", "says"),
    [("<@123> style", "mention"), ("@everyone", "mention"), ("x" * 200, "200 characters"), ("**bold**", "formatting")],
)
async def test_bad_names_are_refused_clearly(lib_world: tuple[World, SqlStyleStore], name: str, says: str) -> None:
    world, styles = lib_world
    text = await _add(world, name)
    assert text.startswith("That style name can't be used") and says in text
    assert await styles.list_styles(world.guild.id) == []


async def test_right_click_a_members_picture_queues_a_job_their_forget_deletes(
    lib_world: tuple[World, SqlStyleStore],
) -> None:
    world, _ = lib_world
    s = world.standin
    await _add(world)
    photo = s.add_attachment(png_bytes(40, 40, 7), "bob.png", "image/png")
    posted = s.post_message(world.channel_id, "my cat", user=world.other, attachments=[photo])
    menu = await s.context_menu("Stylize", posted, user=world.member)
    picker = await s.wait_for(lambda: menu.original, what="the style picker")
    assert picker.ephemeral and "<@" in picker.content and not picker.pings_anyone
    [select] = picker.custom_ids
    pick = await s.click(picker, select, user=world.member, values=["name:Blue Period"])
    assert "Queued as job #" in await reply_text(s, pick)
    [job] = await world.jobs()
    assert job.user_id == world.member.id and await s.wait_for(lambda: _public_status(world))

    forget = await s.run_command("forget", user=world.other)
    await reply_text(s, forget)
    with pytest.raises(JobNotFound):
        await world.store.get(job.id)
    with pytest.raises(BlobNotFound):
        await world.store.get_blob(job.content_sha)


async def test_right_click_an_image_link_uses_discords_proxy_and_last_style(
    lib_world: tuple[World, SqlStyleStore],
) -> None:
    world, _ = lib_world
    s = world.standin
    content = s.add_attachment(png_bytes(40, 40, 1), "me.png", "image/png")
    first = await s.run_command("stylize", {"content": content, "style_name": "The Scream"}, user=world.member)
    await reply_text(s, first)
    photo = s.add_attachment(png_bytes(40, 40, 9), "linked.png", "image/png")
    posted = s.post_message(world.channel_id, "look", user=world.other, embeds=[s.image_embed(photo)])
    menu = await s.context_menu("Stylize", posted, user=world.member)
    picker = await s.wait_for(lambda: menu.original, what="the style picker")
    pick = await s.click(picker, picker.custom_ids[0], user=world.member, values=["last"])
    assert "Queued as job #" in await reply_text(s, pick)
    older, newer = sorted(await world.jobs(), key=lambda j: j.id)
    assert newer.style_shas == older.style_shas and newer.content_sha != older.content_sha
    assert s.downloads(photo) == [200]


async def test_right_click_an_animated_gif_queues_one_animated_job(lib_world: tuple[World, SqlStyleStore]) -> None:
    from engine.animation import decode_animation
    from tests.engine.animated import animated, panning_frames

    world, _ = lib_world
    s = world.standin
    await _add(world)
    gif = s.add_attachment(animated(panning_frames(4), "GIF", durations=[50, 60, 70, 80]), "clip.gif", "image/gif")
    posted = s.post_message(world.channel_id, "my clip", user=world.other, attachments=[gif])
    menu = await s.context_menu("Stylize", posted, user=world.member)
    picker = await s.wait_for(lambda: menu.original, what="the style picker")
    pick = await s.click(picker, picker.custom_ids[0], user=world.member, values=["name:Blue Period"])
    assert "Queued as job #" in await reply_text(s, pick)
    [job] = await world.jobs()
    assert job.params["animated"] is True and job.params["frames"] == 4
    stored = decode_animation(await world.store.get_blob(job.content_sha))
    assert len(stored.frames) == 4 and list(stored.durations) == [50, 60, 70, 80]


async def test_right_click_a_message_without_a_picture_is_refused(lib_world: tuple[World, SqlStyleStore]) -> None:
    world, _ = lib_world
    s = world.standin
    posted = s.post_message(world.channel_id, "just words", user=world.other)
    menu = await s.context_menu("Stylize", posted, user=world.member)
    assert "no picture to stylize" in await reply_text(s, menu)


async def test_removing_a_style_used_by_a_queued_job_keeps_its_picture(
    lib_world: tuple[World, SqlStyleStore],
) -> None:
    world, styles = lib_world
    s = world.standin
    await _add(world)
    sha = (await styles.get(world.guild.id, "Blue Period")).sha
    content = s.add_attachment(png_bytes(40, 40, 1), "me.png", "image/png")
    await reply_text(
        s, await s.run_command("stylize", {"content": content, "style_name": "Blue Period"}, user=world.member)
    )
    removed = await s.run_command("style remove", {"name": "blue period"}, user=world.admin)
    assert "Removed **Blue Period**" in await reply_text(s, removed)
    await world.store.gc(retention_seconds=0)
    [job] = await world.jobs()
    assert job.state is JobState.QUEUED and await world.store.get_blob(sha)


async def test_list_show_and_help(lib_world: tuple[World, SqlStyleStore]) -> None:
    world, _ = lib_world
    s = world.standin
    await _add(world)
    listed = await s.run_command("style list", user=world.member)
    await reply_text(s, listed)
    page = listed.original
    assert page is not None and [e["title"] for e in page.embeds][:2] == ["Blue Period", "Starry Night"]
    assert len(page.attachments) == len(page.embeds) == 5
    shown = await s.run_command("style show", {"name": "starry night"}, user=world.member)
    assert "Van Gogh" in (await reply_text(s, shown)).title()
    helped = await s.run_command("help", user=world.member)
    text = await reply_text(s, helped)
    assert "1 server styles + 4 built-in" in text and "Stylize" in text and "fast" in text
    hide = await s.run_command("style builtins", {"visible": False}, user=world.admin)
    await reply_text(s, hide)
    helped = await s.run_command("help", user=world.member)
    assert "1 server styles + 0 built-in" in await reply_text(s, helped)
