"""Fixtures: a stand-in with a guild (member, other member, admin), a SQLite job store and the real Stylebot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import jobqueue
from bot import Stylebot
from standin import Standin, patch_discord
from tests.bot.support import World, make_config, running_bot


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with Standin() as standin:
        guild = standin.add_guild("Test Server", channels=("general", "gallery"))
        member = standin.add_member(guild.id, name="alice")
        other = standin.add_member(guild.id, name="bob")
        admin = standin.add_member(guild.id, name="root", admin=True)
        store = await jobqueue.open_store(f"sqlite+aiosqlite:///{tmp_path / 'stylebot.db'}", migrate=True)
        with patch_discord(standin.api_base, standin.gateway_url):
            yield World(standin, guild, member, other, admin, store)
        await store.close()


@pytest.fixture
async def bot(world: World) -> AsyncIterator[Stylebot]:
    async with running_bot(world.standin, world.store, make_config(world.standin)) as client:
        yield client


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with Standin() as s:
        s.add_guild("Test Server")
        yield s
