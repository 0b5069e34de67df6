"""REST-only discord.py (what the engine's delivery loop uses) against the stand-in: webhooks, nonces, failures."""

from __future__ import annotations

import io

import aiohttp
import discord
import pytest

from standin import Interaction, Standin, patch_discord
from tests.standin.support import SampleBot, World, png_bytes


async def _deferred_interaction(world: World) -> Interaction:
    s = world.standin
    picture = s.add_attachment(png_bytes(), "c.png", "image/png")
    inter = await s.run_command("stylize", {"content": picture, "style": picture}, user=world.member)
    await s.wait_for(lambda: inter.followups, what="the follow-up")
    return inter


async def test_webhook_partial_from_a_separate_session_edits_the_status_message(world: World, bot: SampleBot) -> None:
    s = world.standin
    inter = await _deferred_interaction(world)
    status = inter.followups[0]
    async with aiohttp.ClientSession() as session:
        hook = discord.Webhook.partial(s.application_id, inter.token, session=session)
        await hook.edit_message(status.id, content="done", attachments=[discord.File(io.BytesIO(b"x"), "r.txt")])
        original = await hook.fetch_message(inter.original.id if inter.original else 0)
    assert status.content == "done" and [a.filename for a in status.attachments] == ["r.txt"]
    assert original.content.startswith("checked")
    assert status.edits[-1]["content"] == "done"


async def test_expired_interaction_token_gives_invalid_webhook_token(world: World, bot: SampleBot) -> None:
    s = world.standin
    inter = await _deferred_interaction(world)
    s.advance(15 * 60 + 1)
    async with aiohttp.ClientSession() as session:
        hook = discord.Webhook.partial(s.application_id, inter.token, session=session)
        with pytest.raises(discord.HTTPException) as caught:
            await hook.send("too late", wait=True)
    assert (caught.value.status, caught.value.code) == (401, 50027)
    assert inter.expired


async def test_expire_interaction_token_on_demand(world: World, bot: SampleBot) -> None:
    s = world.standin
    inter = await _deferred_interaction(world)
    s.expire_interaction_token(inter.token)
    async with aiohttp.ClientSession() as session:
        hook = discord.Webhook.partial(s.application_id, inter.token, session=session)
        with pytest.raises(discord.HTTPException, match="Invalid Webhook Token"):
            await hook.edit_message(inter.followups[0].id, content="late")


async def test_channel_message_with_the_same_nonce_is_posted_once(world: World, rest_client: discord.Client) -> None:
    s = world.standin
    channel = rest_client.get_partial_messageable(world.channel_id)
    first = await channel.send("result", nonce="job-7", file=discord.File(io.BytesIO(png_bytes()), "r.png"))
    again = await channel.send("result", nonce="job-7", file=discord.File(io.BytesIO(png_bytes()), "r.png"))
    other = await channel.send("other", nonce="job-8")
    assert first.id == again.id != other.id
    posted = s.channel_messages(world.channel_id)
    assert [m.content for m in posted] == ["result", "other"]
    assert posted[0].attachments[0].data == png_bytes() and posted[0].nonce == "job-7"


async def test_nonce_is_forgotten_after_a_few_minutes(world: World, rest_client: discord.Client) -> None:
    channel = rest_client.get_partial_messageable(world.channel_id)
    first = await channel.send("result", nonce="job-9")
    world.standin.advance(6 * 60)
    again = await channel.send("result", nonce="job-9")
    assert first.id != again.id


async def test_rate_limited_request_is_retried_by_discord_py(world: World, rest_client: discord.Client) -> None:
    s = world.standin
    s.rate_limit("POST", r"/channels/\d+/messages$", times=2, retry_after=0.05)
    msg = await rest_client.get_partial_messageable(world.channel_id).send("after 429")
    statuses = [r.status for r in s.requests if r.method == "POST"]
    assert statuses == [429, 429, 200]
    assert [m.id for m in s.channel_messages(world.channel_id)] == [msg.id]


async def test_rate_limited_webhook_edit_is_retried(world: World, bot: SampleBot) -> None:
    s = world.standin
    inter = await _deferred_interaction(world)
    s.rate_limit("PATCH", r"^/webhooks/", retry_after=0.05)
    before = len(s.requests)
    async with aiohttp.ClientSession() as session:
        hook = discord.Webhook.partial(s.application_id, inter.token, session=session)
        await hook.edit_message(inter.followups[0].id, content="progress 50%")
    assert inter.followups[0].content == "progress 50%"
    assert [(r.method, r.status) for r in s.requests[before:]] == [("PATCH", 429), ("PATCH", 200)]


async def test_injected_failure_reaches_the_client(world: World, rest_client: discord.Client) -> None:
    world.standin.fail_next("POST", r"/messages$", status=403)
    channel = rest_client.get_partial_messageable(world.channel_id)
    with pytest.raises(discord.Forbidden):
        await channel.send("nope")
    await channel.send("yes")
    assert [m.content for m in world.standin.channel_messages(world.channel_id)] == ["yes"]


async def test_dead_token_fails_login(world: World) -> None:
    world.standin.revoke_token()
    client = discord.Client(intents=discord.Intents.none())
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login(world.standin.token)
    finally:
        await client.close()


async def test_threads_from_a_message_and_without_one(world: World, rest_client: discord.Client) -> None:
    s = world.standin
    gallery = s.add_channel(world.guild.id, "weekly")  # created after login: REST sees it at once
    fetched = await rest_client.fetch_channel(gallery.id)
    assert isinstance(fetched, discord.TextChannel) and fetched.name == "weekly"
    starter = await rest_client.get_partial_messageable(gallery.id).send("Challenge: paint the sea")
    http = rest_client.http
    data = await http.start_thread_with_message(gallery.id, starter.id, name="entries", auto_archive_duration=1440)
    await rest_client.get_partial_messageable(int(data["id"])).send(
        "entry 1", file=discord.File(io.BytesIO(b"e"), "e.png")
    )
    loose = await http.start_thread_without_message(gallery.id, name="votes", auto_archive_duration=60, type=11)
    assert int(data["id"]) == starter.id and s.message(starter.id).thread_id == starter.id
    assert [(t.name, t.parent_id, t.starter_message_id) for t in s.threads] == [
        ("entries", gallery.id, starter.id),
        ("votes", gallery.id, None),
    ]
    entry = await s.wait_for_message(starter.id)
    assert entry.content == "entry 1" and entry.attachments[0].data == b"e"
    assert int(loose["id"]) != starter.id and loose["parent_id"] == str(gallery.id)


async def test_upload_over_the_limit_is_refused_with_413(world: World, rest_client: discord.Client) -> None:
    big = discord.File(io.BytesIO(b"\0" * (10 * 1024 * 1024 + 1)), "big.bin")
    with pytest.raises(discord.HTTPException) as caught:
        await rest_client.get_partial_messageable(world.channel_id).send(file=big)
    assert (caught.value.status, caught.value.code) == (413, 40005)


async def test_enforced_rate_limits_pace_discord_py_and_429_a_client_that_ignores_them() -> None:
    async with Standin(rate_limits=(2, 1.0)) as s:
        guild = s.add_guild(channels=("paced", "raw"))
        with patch_discord(s.api_base, s.gateway_url):
            client = discord.Client(intents=discord.Intents.none())
            await client.login(s.token)
            try:
                channel = client.get_partial_messageable(guild.channel_id)
                for n in range(3):
                    await channel.send(f"progress {n}")
            finally:
                await client.close()
        assert [r.status for r in s.requests if r.method == "POST"] == [200] * 3
        raw_channel = guild.channel_ids[1]  # its own bucket: the major parameter differs
        url = f"{s.api_base}/channels/{raw_channel}/messages"
        headers = {"Authorization": f"Bot {s.token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            statuses = []
            for n in range(3):
                async with session.post(url, json={"content": f"spam {n}"}) as response:
                    statuses.append(response.status)
                    if response.status == 429:
                        assert (await response.json())["retry_after"] > 0 and response.headers["Via"]
        assert statuses == [200, 200, 429]
        assert len(s.channel_messages(guild.channel_id)) == 3 and len(s.channel_messages(raw_channel)) == 2
