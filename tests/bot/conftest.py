"""Fixtures: a stand-in with a guild (member, other member, admin), a SQLite job store and the real Stylebot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import Stylebot
from standin import Standin
from tests.bot.support import World, make_config, running_bot, standin_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with standin_world(f"sqlite+aiosqlite:///{tmp_path / 'stylebot.db'}") as world:
        yield world


@pytest.fixture
async def bot(world: World) -> AsyncIterator[Stylebot]:
    async with running_bot(world.standin, world.store, make_config(world.standin)) as client:
        yield client


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with Standin() as s:
        s.add_guild("Test Server")
        yield s
