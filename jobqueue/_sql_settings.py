"""Settings in `SqlJobStore`: per-guild settings, the global and per-guild pause, and the key-value meta table."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

from jobqueue._db import Tx
from jobqueue._policy import check_guild_changes
from jobqueue._rows import guild_from_row, guild_to_values
from jobqueue._sql import CONTROL, GUILDS, META
from jobqueue._sql_core import SqlCore, upsert
from jobqueue._types import GuildSettings

__all__ = ["SqlSettings"]


def _guild(tx: Tx, guild_id: int) -> GuildSettings:
    row = tx.conn.execute(select(GUILDS).where(GUILDS.c.guild_id == guild_id)).first()
    return guild_from_row(row._mapping if row is not None else None, guild_id)


class SqlSettings(SqlCore):
    """Guild settings, pausing, meta values."""

    async def get_guild_settings(self, guild_id: int) -> GuildSettings:
        return await self.db.read(lambda tx: _guild(tx, guild_id))

    def _update_guild(self, tx: Tx, guild_id: int, changes: dict[str, Any], now: float) -> GuildSettings:
        new = dataclasses.replace(_guild(tx, guild_id), **changes)
        tx.conn.execute(upsert(self.dialect, GUILDS, guild_to_values(new, now=now), ["guild_id"]))
        return new

    async def update_guild_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        checked, now = check_guild_changes(changes), self._now()
        return await self.db.write(lambda tx: self._update_guild(tx, guild_id, checked, now))

    async def _set_global_pause(self, paused: bool) -> None:
        values = {"name": "global", "paused": paused, "updated_at": self._now()}
        stmt = upsert(self.dialect, CONTROL, values, ["name"])
        await self.db.write(lambda tx: tx.conn.execute(stmt))

    async def pause(self, guild_id: int | None = None) -> None:
        if guild_id is None:
            await self._set_global_pause(True)
        else:
            await self.update_guild_settings(guild_id, paused=True)

    async def resume(self, guild_id: int | None = None) -> None:
        if guild_id is None:
            await self._set_global_pause(False)
        else:
            await self.update_guild_settings(guild_id, paused=False)

    async def is_paused(self, guild_id: int | None = None) -> bool:
        def read(tx: Tx) -> bool:
            if tx.conn.execute(select(CONTROL.c.paused).where(CONTROL.c.name == "global")).scalar():
                return True
            if guild_id is None:
                return False
            return bool(tx.conn.execute(select(GUILDS.c.paused).where(GUILDS.c.guild_id == guild_id)).scalar())

        return await self.db.read(read)

    async def get_meta(self, key: str) -> str | None:
        return await self.db.read(lambda tx: tx.conn.execute(select(META.c.value).where(META.c.key == key)).scalar())

    async def set_meta(self, key: str, value: str) -> None:
        stmt = upsert(self.dialect, META, {"key": key, "value": value}, ["key"])
        await self.db.write(lambda tx: tx.conn.execute(stmt))
