"""Fixtures of every test against the local Discord stand-in (tests/standin, tests/delivery import them in conftest).

`world`: a started stand-in with one guild (two channels, a member, an admin) and discord.py pointed at it; `bot`: an
unmodified commands.Bot (SampleBot) on its gateway that answers /stylize with a public follow-up; `rest_client`: what
the engine uses, a client logged in over REST and never connected to the gateway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest

from standin import Standin, patch_discord
from tests.standin.support import SampleBot, World, running_bot

__all__ = ["bot", "rest_client", "world"]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with Standin() as standin:
        guild = standin.add_guild("Test Server", channels=("general", "gallery"))
        member = standin.add_member(guild.id, name="alice")
        admin = standin.add_member(guild.id, name="root", admin=True)
        with patch_discord(standin.api_base, standin.gateway_url):
            yield World(standin, guild, member, admin)


@pytest.fixture
async def bot(world: World) -> AsyncIterator[SampleBot]:
    """A gateway bot that answers /stylize with a public follow-up (the status message delivery edits)."""
    async with running_bot(world) as sample:
        yield sample


@pytest.fixture
async def rest_client(world: World) -> AsyncIterator[discord.Client]:
    """What the engine uses: a client logged in over REST, never connected to the gateway."""
    client = discord.Client(intents=discord.Intents.none())
    await client.login(world.standin.token)
    try:
        yield client
    finally:
        await client.close()
