"""Settings in `InMemoryJobStore`: per-guild settings, pausing and meta values (the twin of
`jobqueue._sql_settings`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from jobqueue._memory_core import MemoryCore
from jobqueue._policy import check_guild_changes
from jobqueue._types import GuildSettings

__all__ = ["MemorySettings"]


class MemorySettings(MemoryCore):
    """Guild settings, pausing, meta values."""

    async def get_guild_settings(self, guild_id: int) -> GuildSettings:
        return self._guilds.get(guild_id, GuildSettings(guild_id))

    async def update_guild_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        checked = check_guild_changes(changes)
        current = self._guilds.get(guild_id, GuildSettings(guild_id))
        self._guilds[guild_id] = dataclasses.replace(current, **checked)  # type: ignore[arg-type]
        return self._guilds[guild_id]

    async def pause(self, guild_id: int | None = None) -> None:
        if guild_id is None:
            self._paused = True
        else:
            await self.update_guild_settings(guild_id, paused=True)

    async def resume(self, guild_id: int | None = None) -> None:
        if guild_id is None:
            self._paused = False
        else:
            await self.update_guild_settings(guild_id, paused=False)

    async def is_paused(self, guild_id: int | None = None) -> bool:
        if guild_id is None:
            return self._paused
        return self._paused or self._guilds.get(guild_id, GuildSettings(guild_id)).paused

    async def get_meta(self, key: str) -> str | None:
        return self._meta.get(key)

    async def set_meta(self, key: str, value: str) -> None:
        self._meta[key] = value
