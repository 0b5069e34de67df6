"""Who a message pings (`allowed_mentions` recorded and applied as Discord does) and member permission overwrites."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import discord
import pytest
from discord.http import Route

from standin import Standin
from tests.standin.support import SampleBot, World

T = TypeVar("T")


def _loud(world: World) -> str:
    role = next(iter(world.standin.state.guilds[world.guild.id].roles))
    return f"<@{world.member.id}> <@&{role}> @everyone and @here"


async def test_allowed_mentions_are_recorded_and_decide_who_is_pinged(
    world: World, rest_client: discord.Client
) -> None:
    s = world.standin
    channel = rest_client.get_partial_messageable(world.channel_id)
    quiet = await channel.send(_loud(world), allowed_mentions=discord.AllowedMentions.none())
    msg = s.message(quiet.id)
    assert msg.allowed_mentions == {"parse": []}
    assert msg.mention_ids == [world.member.id]  # still written in the content …
    assert not msg.pings_anyone  # … but nobody is notified

    only = await channel.send(
        _loud(world), allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[world.member])
    )
    msg = s.message(only.id)
    assert msg.pinged_user_ids == [world.member.id] and msg.pinged_role_ids == [] and not msg.pings_everyone

    loud = await channel.send(_loud(world))  # a client without a default sends no allowed_mentions: all of them ping
    msg = s.message(loud.id)
    assert msg.allowed_mentions is None and msg.pings_everyone and msg.pinged_role_ids and msg.pinged_user_ids

    await loud.edit(content="now quiet", allowed_mentions=discord.AllowedMentions.none())
    assert s.message(loud.id).allowed_mentions == {"parse": []}


async def test_parse_and_an_id_list_of_the_same_kind_are_refused(world: World, rest_client: discord.Client) -> None:
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=world.channel_id)
    body = {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": [str(world.member.id)]}}
    with pytest.raises(discord.HTTPException) as caught:
        await rest_client.http.request(route, json=body)
    assert (caught.value.status, caught.value.code) == (400, 50035)


async def test_a_member_overwrite_reaches_the_bots_cache(world: World, bot: SampleBot) -> None:
    s: Standin = world.standin
    gallery = world.guild.channel_ids[1]
    s.deny_member(gallery, world.member)
    s.deny_bot(gallery)

    def cached() -> discord.TextChannel | None:
        channel = bot.get_channel(gallery)
        return channel if isinstance(channel, discord.TextChannel) and len(channel.overwrites) == 2 else None

    channel = await _poll(cached)
    guild = channel.guild
    member = await guild.fetch_member(world.member.id)
    assert not channel.permissions_for(member).send_messages and not channel.permissions_for(member).view_channel
    assert not channel.permissions_for(guild.me).send_messages and channel.permissions_for(guild.me).view_channel
    assert channel.permissions_for(await guild.fetch_member(world.admin.id)).send_messages  # admins override
    s.deny_member(gallery, world.member, 0)
    await _poll(lambda: len(channel.overwrites) == 1)


async def _poll(check: Callable[[], T]) -> T:
    """The bot's cache changes on gateway events, not on stand-in state: poll it."""
    async with asyncio.timeout(10):
        while True:
            if value := check():
                return value
            await asyncio.sleep(0.02)
