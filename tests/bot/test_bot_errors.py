"""The error handler's wording for a database that is busy or away: a member is told to try again shortly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot import Stylebot
from jobqueue import SqlJobStore
from tests.bot.support import World, reply_text


async def test_a_locked_database_tells_the_member_to_try_again_shortly(world: World, bot: Stylebot) -> None:
    store = world.store
    assert isinstance(store, SqlJobStore)
    store.db.busy_timeout = 0.2  # type: ignore[attr-defined]  # SQLite's: how long a write waits for the lock
    other = sqlite3.connect(Path(store.db.url.removeprefix("sqlite:///")), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the budget
        inter = await world.standin.run_command("stylize", world.images(), user=world.member)
        text = await reply_text(world.standin, inter)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert text == "The queue's database is busy right now, so nothing was queued or changed; try again shortly."
    assert await world.jobs() == []
