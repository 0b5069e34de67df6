"""`StyleLibrary`: a server's styles by name (its library and the built-ins), served from a per-server cache so that
autocomplete answers in milliseconds, and resolved to stored pictures (blob shas) for jobs."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import TYPE_CHECKING

from discord import app_commands
from jobqueue import BlobNotFound, NewStyle, Style, StyleNotFound, StyleStore

from bot.errors import StylesOff
from bot.exts.styles._builtins import BUILTINS, Builtin, builtin_named, reserved_keys
from bot.exts.styles._names import clean_name
from bot.exts.stylize._attachments import normalise

if TYPE_CHECKING:
    from bot._bot import Stylebot

__all__ = ["MAX_CHOICES", "StyleLibrary"]

logger = logging.getLogger(__name__)

MAX_CHOICES = 25  # Discord's cap on autocomplete choices and select options
CACHE_SECONDS = 60.0  # other processes' changes show within this; our own invalidate the cache at once


class StyleLibrary:
    """Names and pictures of each server's styles; `store` None: built-ins only (and adding is off)."""

    def __init__(self, bot: Stylebot, store: StyleStore | None, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self.bot = bot
        self._store = store
        self._cache_seconds = cache_seconds
        self._names: dict[int, tuple[float, tuple[str, ...]]] = {}
        self._builtin_png: dict[str, bytes] = {}

    @property
    def store(self) -> StyleStore:
        if self._store is None:
            raise StylesOff()
        return self._store

    def invalidate(self, guild_id: int) -> None:
        self._names.pop(guild_id, None)

    async def add(
        self, guild_id: int, name: str, sha: str, *, added_by: int, owner_id: int, description: str = ""
    ) -> Style:
        """Add a stored picture as a style, as /style add and "Save as style" both do: the name cleaned (built-in
        names reserved), unique here, within the bot's per-server cap; raises StyleNameRejected, StyleNameTaken,
        StyleLimitReached or BlobNotFound."""
        name = clean_name(name, reserved=reserved_keys())
        new = NewStyle(guild_id, name, sha, added_by=added_by, owner_id=owner_id, description=description)
        style = await self.store.add(new, max_styles=self.bot.config.max_styles_per_guild)
        self.invalidate(guild_id)
        return style

    async def builtins(self, guild_id: int) -> tuple[Builtin, ...]:
        if self._store is not None and await self._store.builtins_hidden(guild_id):
            return ()
        return BUILTINS

    async def names(self, guild_id: int) -> tuple[str, ...]:
        """The server's library names, then the built-ins' (unless hidden); cached per server."""
        cached = self._names.get(guild_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        own = [s.name for s in await self._store.list_styles(guild_id)] if self._store is not None else []
        names = (*own, *(b.name for b in await self.builtins(guild_id)))
        self._names[guild_id] = (time.monotonic() + self._cache_seconds, names)
        return names

    async def choices(self, guild_id: int | None, current: str) -> list[app_commands.Choice[str]]:
        """Autocomplete: names starting with what was typed first, then names containing it (25 at most)."""
        if guild_id is None:
            return []
        typed = " ".join(current.split()).casefold()
        names = await self.names(guild_id)
        first = [n for n in names if n.casefold().startswith(typed)]
        then = [n for n in names if typed in n.casefold() and n not in first]
        return [app_commands.Choice(name=n, value=n) for n in (first + then)[:MAX_CHOICES]]

    async def resolve(self, guild_id: int, name: str) -> str:
        """The stored picture (blob sha) of the style called `name` here; raises StyleNotFound."""
        builtin = builtin_named(name)
        if builtin is not None and builtin in await self.builtins(guild_id):
            return await self.builtin_sha(builtin)
        if self._store is None:
            raise StyleNotFound(guild_id, name)
        return (await self._store.get(guild_id, name)).sha

    async def builtin_png(self, builtin: Builtin) -> bytes:
        """The built-in's picture as a clean PNG, decoded once (through the bot's decode budget) and kept."""
        png = self._builtin_png.get(builtin.name)
        if png is None:
            data = await asyncio.to_thread(builtin.path.read_bytes)
            limits = self.bot.config.image_limits
            budget = self.bot.decode_budget
            png = await normalise("style image", data, limits=limits, working_side=limits.working_side, budget=budget)
            self._builtin_png[builtin.name] = png
        return png

    async def builtin_with_sha(self, sha: str) -> Builtin | None:
        """The built-in whose stored picture is the blob `sha` (blobs are named by their bytes' SHA-256), if any."""
        for builtin in BUILTINS:
            if hashlib.sha256(await self.builtin_png(builtin)).hexdigest() == sha:
                return builtin
        return None

    async def builtin_sha(self, builtin: Builtin) -> str:
        """Stored again on each use (content-addressed, so once): retention may have collected an unused copy."""
        return await self.bot.store.put_blob(await self.builtin_png(builtin), "image/png")

    async def last_style(self, user_id: int, guild_id: int | None) -> str | None:
        """The first style picture of the member's newest job here, while it is still stored."""
        jobs = await self.bot.store.list_jobs(user_id=user_id, guild_id=guild_id, limit=1)
        if not jobs or not jobs[0].style_shas:
            return None
        sha = jobs[0].style_shas[0]
        try:
            await self.bot.store.get_blob(sha)
        except BlobNotFound:
            return None
        return sha
