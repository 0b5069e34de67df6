"""The unmodified discord.py commands.Bot against the stand-in over real sockets."""

from __future__ import annotations

import discord

from standin import EPHEMERAL
from tests.standin.support import SampleBot, World, png_bytes


async def test_login_ready_and_guild_command_sync_are_recorded(world: World, bot: SampleBot) -> None:
    s = world.standin
    assert bot.user is not None and bot.user.id == s.bot_user.id
    assert bot.application_id == s.application_id
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and {c.name for c in guild.text_channels} == {"general", "gallery"}
    assert [g for g, _ in s.command_syncs] == [world.guild.id]
    by_name = {c["name"]: c for c in s.commands(world.guild.id)}
    assert [(o["name"], o["type"]) for o in by_name["stylize"]["options"]] == [
        ("content", 11),
        ("style", 11),
        ("strength", 10),
    ]
    assert by_name["queue"]["default_member_permissions"] == "32"


async def test_command_with_attachments_defers_edits_original_and_follows_up_with_a_file(
    world: World, bot: SampleBot
) -> None:
    s = world.standin
    content = s.add_attachment(png_bytes(48, 32), "cat.png", "image/png")
    style = s.add_attachment(png_bytes(20, 20, (0, 0, 255)), "wave.png", "image/png")
    assert (content["width"], content["height"], content["content_type"]) == (48, 32, "image/png")

    inter = await s.run_command("stylize", {"content": content, "style": style, "strength": 1.5}, user=world.member)
    result = await s.wait_for_message(world.channel_id, lambda m: bool(m.attachments))

    assert inter.callback is not None and inter.callback.type == 5 and inter.callback.ephemeral
    assert inter.ack_latency is not None and inter.ack_latency >= 0
    assert inter.original is not None and inter.original.ephemeral and not inter.original.loading
    assert inter.original.content == f"checked cat.png ({len(png_bytes(48, 32))} bytes)"
    assert result in inter.followups and not result.ephemeral
    assert result.content == "strength 1.5"
    assert result.attachments[0].data == png_bytes(48, 32)
    assert result.attachments[0].content_type == "image/png"
    assert s.downloads(content) == [200] and s.downloads(style) == []  # the sample bot only reads `content`
    assert result.custom_ids == ["job:1:reroll"]
    seen = bot.seen[0]
    assert seen.filesize_limit == 10 * 1024 * 1024 and seen.locale == discord.Locale.american_english


async def test_persistent_button_click_reaches_the_view_and_edits_the_message(world: World, bot: SampleBot) -> None:
    s = world.standin
    content = s.add_attachment(png_bytes(), "c.png", "image/png")
    await s.run_command("stylize", {"content": content, "style": content}, user=world.member)
    result = await s.wait_for_message(world.channel_id, lambda m: bool(m.custom_ids))

    click = await s.click(result, "job:1:reroll", user=world.admin)
    await s.wait_for(lambda: click.callback, what="the button's response")

    assert click.callback is not None and click.callback.type == 7
    assert result.content == "re-rolled by root" and result.components == []
    assert len(result.edits) == 1


async def test_admin_subcommand_sees_permissions_and_member_is_refused_ephemerally(
    world: World, bot: SampleBot
) -> None:
    s = world.standin
    by_member = await s.run_command("queue status", user=world.member)
    by_admin = await s.run_command("queue status", user=world.admin)
    await s.wait_for(lambda: by_member.callback and by_admin.callback)

    assert by_member.original is not None and by_member.original.content == "refused"
    assert by_member.callback is not None and by_member.callback.flags & EPHEMERAL
    assert by_admin.original is not None and by_admin.original.content == "ok" and not by_admin.original.ephemeral
    assert by_admin.payload["data"]["options"] == [{"type": 1, "name": "status", "options": []}]


async def test_gateway_drop_is_resumed_and_events_still_arrive(world: World, bot: SampleBot) -> None:
    s = world.standin
    await s.drop_gateway()
    await s.wait_for(lambda: s.gateway.resumes == 1, what="RESUME")
    inter = await s.run_command("queue status", user=world.admin)
    await s.wait_for(lambda: inter.callback, what="a response after RESUME")
    assert s.gateway.identifies == 1
