"""The scripting side: member actions beyond slash commands, refusals a Discord client would make, time and faults."""

from __future__ import annotations

import asyncio

import discord
import pytest

from standin import (
    BadOption,
    NotConnected,
    Standin,
    UnknownCommand,
    UnknownComponent,
    WaitTimeout,
    patch_discord,
    serve,
)
from tests.standin.support import SampleBot, World, png_bytes, running_bot


async def test_immediate_response_with_a_file_and_typed_options(world: World, bot: SampleBot) -> None:
    s = world.standin
    inter = await s.run_command("echo", {"text": "ab", "times": 2}, user=world.member)
    await s.wait_for(lambda: inter.original, what="the response")
    assert inter.callback is not None and inter.callback.type == 4
    assert inter.original is not None and inter.original.content == "abab" and inter.original.type == 20
    assert inter.original.attachments[0].data == b"hi"
    assert inter.payload["data"]["options"] == [
        {"name": "text", "type": 3, "value": "ab"},
        {"name": "times", "type": 4, "value": 2},
    ]


async def test_first_followup_after_a_defer_edits_the_thinking_message(world: World, bot: SampleBot) -> None:
    s = world.standin

    @bot.tree.command(name="slow", description="defer then follow up", guild=discord.Object(world.guild.id))
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send("public?", ephemeral=False)
        await interaction.followup.send("second")

    await bot.tree.sync(guild=discord.Object(world.guild.id))
    inter = await s.run_command("slow", user=world.member)
    await s.wait_for(lambda: inter.followups, what="the second follow-up")
    assert inter.original is not None and inter.original.content == "public?" and inter.original.ephemeral
    assert [m.content for m in inter.followups] == ["second"] and not inter.followups[0].ephemeral


async def test_autocomplete_and_modal_round_trips(world: World, bot: SampleBot) -> None:
    s = world.standin
    auto = await s.autocomplete("preset", {"name": "st"}, "name", user=world.member)
    await s.wait_for(lambda: auto.callback, what="autocomplete choices")
    assert auto.callback is not None and auto.callback.type == 8
    assert [c["value"] for c in auto.callback.data["choices"]] == ["starry", "stained-glass"]

    opened = await s.run_command("limits", user=world.admin)
    await s.wait_for(lambda: opened.callback, what="the modal")
    with pytest.raises(UnknownComponent, match="no inputs"):
        await s.submit_modal(opened, {"nope": "1"})
    submitted = await s.submit_modal(opened, {"per_user": "4"})
    await s.wait_for(lambda: submitted.original, what="the modal's answer")
    assert submitted.original is not None and submitted.original.content == "per user: 4"


async def test_global_commands_resolve_without_guild_id(world: World) -> None:
    async with running_bot(world, global_sync=True):
        s = world.standin
        assert s.command_syncs[0][0] is None and s.commands(world.guild.id) == s.commands()
        inter = await s.run_command("queue status", user=world.admin)
        await s.wait_for(lambda: inter.original, what="the response")
        assert "guild_id" not in inter.payload["data"]


async def test_refusals_a_discord_client_would_make(world: World, bot: SampleBot) -> None:
    s = world.standin
    pic = s.add_attachment(png_bytes(), "p.png", "image/png")
    with pytest.raises(UnknownCommand, match="never synced"):
        await s.run_command("nope", user=world.member, timeout=0.1)
    with pytest.raises(BadOption, match="no option 'colour'"):
        await s.run_command("stylize", {"content": pic, "style": pic, "colour": 1}, user=world.member)
    with pytest.raises(BadOption, match="missing required options"):
        await s.run_command("stylize", {"content": pic}, user=world.member)
    with pytest.raises(BadOption, match="outside"):
        await s.run_command("stylize", {"content": pic, "style": pic, "strength": 9.0}, user=world.member)
    with pytest.raises(BadOption, match="needs a sub-command"):
        await s.run_command("queue", user=world.admin)
    stranger = s.add_user("stranger")
    with pytest.raises(BadOption, match="not a member"):
        await s.run_command("echo", {"text": "x"}, user=stranger)
    posted = s.post_message(world.channel_id, "hello", user=world.member)
    with pytest.raises(UnknownComponent):
        await s.click(posted, "job:1:reroll", user=world.member)
    assert s.interactions == []


async def test_member_posts_reach_the_bot_without_content_unless_it_has_the_intent(
    world: World, bot: SampleBot
) -> None:
    s = world.standin
    got: asyncio.Queue[discord.Message] = asyncio.Queue()

    async def on_message(message: discord.Message) -> None:
        got.put_nowait(message)

    bot.add_listener(on_message)
    pic = s.add_attachment(png_bytes(), "entry.png", "image/png")
    s.post_message(world.channel_id, "my entry", user=world.member, attachments=[pic])
    hidden = await asyncio.wait_for(got.get(), 5)
    assert hidden.author.id == world.member.id and (hidden.content, hidden.attachments) == ("", [])

    next(iter(s.gateway.sessions.values())).intents |= 1 << 15  # as if the bot had asked for message_content
    s.post_message(world.channel_id, "second", user=world.member, attachments=[pic])
    shown = await asyncio.wait_for(got.get(), 5)
    assert shown.content == "second" and shown.attachments[0].filename == "entry.png"


async def test_late_callback_fails_when_an_ack_deadline_is_set() -> None:
    async with Standin(ack_deadline=0.0) as s:
        guild = s.add_guild()
        member = s.add_member(guild.id)
        with patch_discord(s.api_base, s.gateway_url):
            world = World(s, guild, member, member)
            async with running_bot(world):
                inter = await s.run_command("echo", {"text": "x"}, user=member)
                await s.wait_for(lambda: any(r.path.endswith("/callback") for r in s.requests))
    assert inter.callback is None
    assert [r.status for r in s.requests if r.path.endswith("/callback")] == [404]


async def test_heartbeats_are_acknowledged_without_reconnects() -> None:
    async with serve(heartbeat_interval_ms=30) as scene:
        s = scene.standin
        with patch_discord(s.api_base, s.gateway_url):
            async with running_bot(World(s, scene.guild, scene.member, scene.admin)) as bot:
                await asyncio.sleep(0.2)  # several heartbeat intervals must pass; nothing to wait on instead
                assert bot.latency != float("inf")  # at least one HEARTBEAT_ACK arrived
                assert (await bot.application_info()).owner.id == s.owner_id
        assert (s.gateway.identifies, s.gateway.resumes) == (1, 0)
        assert scene.env()["STYLEBOT_ATTACHMENT_HOSTS"] == "127.0.0.1"


async def test_waits_fail_with_a_useful_message_and_run_command_needs_a_bot() -> None:
    async with serve() as scene:
        s = scene.standin
        with pytest.raises(WaitTimeout, match="a matching message"):
            await s.wait_for_message(scene.channel.id, timeout=0.05)
        s.state.global_commands.append({"id": "1", "name": "x", "options": []})
        with pytest.raises(NotConnected):
            await s.run_command("x", user=scene.member, timeout=0.05)


def test_patch_discord_sets_and_restores_the_three_targets() -> None:
    import discord.gateway
    import discord.http
    import discord.webhook.async_

    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    patch = patch_discord("http://127.0.0.1:1/api/v10/", "ws://127.0.0.1:1/gateway")
    assert discord.http.Route.BASE == "http://127.0.0.1:1/api/v10"
    assert discord.webhook.async_.Route.BASE == "http://127.0.0.1:1/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:1/gateway"
    patch.undo()
    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


async def test_transcript_lists_what_members_would_see(world: World, bot: SampleBot) -> None:
    s = world.standin
    pic = s.add_attachment(png_bytes(), "p.png", "image/png")
    await s.run_command("stylize", {"content": pic, "style": pic}, user=world.member)
    await s.wait_for_message(world.channel_id, lambda m: bool(m.attachments))
    lines = s.transcript().splitlines()
    assert lines[0].startswith("#general stylebot: checked p.png") and lines[0].endswith("ephemeral")
    assert lines[1] == "#general stylebot: strength 1.0 files=['result.png'] buttons=['job:1:reroll']"


async def test_member_roles_agree_with_interaction_permissions_and_chunking_works(world: World) -> None:
    s = world.standin
    intents = discord.Intents.default()
    intents.members = True
    async with running_bot(world, intents=intents) as bot:
        joined: asyncio.Queue[discord.Member] = asyncio.Queue()

        async def on_member_join(member: discord.Member) -> None:
            joined.put_nowait(member)

        bot.add_listener(on_member_join)
        late_admin = s.add_member(world.guild.id, name="late", admin=True)  # after READY: role and member by event
        assert (await asyncio.wait_for(joined.get(), 5)).guild_permissions.manage_guild
        guild = bot.get_guild(world.guild.id)
        assert guild is not None
        await guild.chunk()  # op 8 REQUEST_GUILD_MEMBERS → GUILD_MEMBERS_CHUNK
        members = {m.name: m for m in guild.members}
        assert members["root"].guild_permissions.administrator and not members["alice"].guild_permissions.manage_guild
        inter = await s.run_command("queue status", user=late_admin)
        await s.wait_for(lambda: inter.original, what="the response")
        assert inter.original is not None and inter.original.content == "ok"
