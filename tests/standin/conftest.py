"""Fixtures: a started stand-in with one guild, discord.py pointed at it, and an unmodified commands.Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from standin import Standin, patch_discord
from tests.standin.support import SampleBot, World, running_bot


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
    async with running_bot(world) as sample:
        yield sample
