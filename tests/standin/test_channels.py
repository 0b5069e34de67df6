"""Channel-side features over discord.py's REST client: reactions, DMs, thread archiving, the CDN, mentions."""

from __future__ import annotations

import asyncio
import io

import aiohttp
import discord
import pytest

from tests.standin.support import SampleBot, World, png_bytes, running_bot


async def test_reactions_by_the_bot_and_by_members(world: World, bot: SampleBot) -> None:
    s = world.standin
    seen: asyncio.Queue[discord.RawReactionActionEvent] = asyncio.Queue()

    async def on_raw_reaction_add(event: discord.RawReactionActionEvent) -> None:
        seen.put_nowait(event)

    bot.add_listener(on_raw_reaction_add)
    channel = bot.get_channel(world.channel_id)
    assert isinstance(channel, discord.TextChannel)
    entry = await channel.send("entry #1")
    await entry.add_reaction("⭐")
    s.react(entry.id, "⭐", user=world.member)
    got = [await asyncio.wait_for(seen.get(), 5) for _ in range(2)]
    assert [e.user_id for e in got] == [s.bot_user.id, world.member.id] and str(got[1].emoji) == "⭐"
    assert s.message(entry.id).reactions == {"⭐": [s.bot_user.id, world.member.id]}
    fetched = await channel.fetch_message(entry.id)
    assert fetched.reactions[0].count == 2 and fetched.reactions[0].me
    voters = [u.id async for u in fetched.reactions[0].users()]
    assert sorted(voters) == [s.bot_user.id, world.member.id]


async def test_dm_channel_and_a_command_run_in_dms(world: World) -> None:
    s = world.standin
    async with running_bot(world, global_sync=True) as bot:
        user = await bot.fetch_user(world.member.id)
        dm = await user.create_dm()
        await dm.send(f"<@{world.member.id}> your result is ready")
        assert dm.id == s.open_dm(world.member).id
        posted = await s.wait_for_message(dm.id)
        assert posted.mention_ids == [world.member.id]
        inter = await s.run_command("echo", {"text": "hi"}, user=world.member, channel_id=dm.id)
        await s.wait_for(lambda: inter.original, what="a DM response")
        assert inter.payload["user"]["id"] == str(world.member.id) and "member" not in inter.payload
        assert inter.original is not None and inter.original.channel_id == dm.id


async def test_archived_thread_refuses_new_messages(world: World, rest_client: discord.Client) -> None:
    s = world.standin
    http = rest_client.http
    thread = await http.start_thread_without_message(
        world.channel_id, name="gallery", auto_archive_duration=60, type=11
    )
    await http.edit_channel(int(thread["id"]), archived=True, locked=True)
    assert s.threads[0].archived and s.threads[0].locked
    with pytest.raises(discord.HTTPException) as caught:
        await rest_client.get_partial_messageable(int(thread["id"])).send("late entry")
    assert caught.value.code == 50083


async def test_cdn_serves_uploads_until_the_signed_url_expires(world: World, rest_client: discord.Client) -> None:
    s = world.standin
    sent = await rest_client.get_partial_messageable(world.channel_id).send(
        file=discord.File(io.BytesIO(png_bytes(30, 20)), "r.png")
    )
    attachment = sent.attachments[0]
    assert (attachment.width, attachment.height, attachment.content_type) == (30, 20, "image/png")
    assert await attachment.read() == png_bytes(30, 20)
    s.advance(25 * 3600)
    async with aiohttp.ClientSession() as session, session.get(attachment.url) as response:
        assert response.status == 404


async def test_editing_someone_elses_message_is_forbidden_and_edit_times_are_kept(
    world: World, rest_client: discord.Client
) -> None:
    s = world.standin
    theirs = s.post_message(world.channel_id, "member text", user=world.member)
    channel = rest_client.get_partial_messageable(world.channel_id)
    with pytest.raises(discord.Forbidden):
        await channel.get_partial_message(theirs.id).edit(content="hijack")
    mine = await channel.send("progress 0%")
    for pct in (50, 100):
        await mine.edit(content=f"progress {pct}%")
    record = s.message(mine.id)
    assert record.content == "progress 100%" and len(record.edit_times) == 2
    assert record.edit_times == sorted(record.edit_times)


async def test_what_members_and_moderators_do_to_the_bot(world: World, bot: SampleBot) -> None:
    s = world.standin
    pic = s.add_attachment(png_bytes(), "p.png", "image/png")
    inter = await s.run_command("stylize", {"content": pic, "style": pic}, user=world.member)
    status = await s.wait_for(lambda: inter.followups and inter.followups[0], what="the follow-up")
    assert inter.original is not None and inter.original.ephemeral
    channel = bot.get_channel(world.channel_id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.NotFound):  # ephemeral messages are not reachable through the channel
        await channel.get_partial_message(inter.original.id).edit(content="x")

    s.delete_message(status)
    with pytest.raises(discord.NotFound) as caught:
        await channel.get_partial_message(status.id).edit(content="result")
    assert caught.value.code == 10008

    s.deny_bot(world.channel_id)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("result")
    assert refused.value.code == 50013
    denied = await s.run_command("echo", {"text": "x"}, user=world.member)
    assert not discord.Permissions(int(denied.payload["app_permissions"])).send_messages

    gallery = world.guild.channel_ids[1]
    s.delete_channel(gallery)
    with pytest.raises(discord.NotFound) as gone:
        await bot.get_partial_messageable(gallery).send("result")
    assert gone.value.code == 10003


async def test_history_pages_bulk_delete_and_nonces_only_on_create(world: World, rest_client: discord.Client) -> None:
    s = world.standin
    channel = rest_client.get_partial_messageable(world.channel_id)
    sent = [await channel.send(f"m{n}", nonce=f"n{n}") for n in range(7)]
    assert sent[0].nonce == "n0"
    newest = [m.content async for m in channel.history(limit=3)]
    oldest = [m.content async for m in channel.history(limit=3, oldest_first=True)]
    middle = [m.content async for m in channel.history(limit=10, after=sent[2], before=sent[5])]
    assert (newest, oldest, middle) == (
        ["m6", "m5", "m4"],
        ["m0", "m1", "m2"],
        ["m3", "m4"],
    )  # `after` implies oldest first
    assert (await channel.fetch_message(sent[0].id)).nonce is None  # history and fetches never carry nonces
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("x", nonce="n" * 26)
    assert caught.value.code == 50035
    await rest_client.http.delete_messages(world.channel_id, [sent[0].id, sent[1].id])
    assert [m.content for m in s.channel_messages(world.channel_id)] == [f"m{n}" for n in range(2, 7)]
