"""`InMemoryStyleStore`: the `StyleStore` on dicts, over an `InMemoryJobStore` (see `.testing`).

The twin of `SqlStyleStore`; the contract suite (tests/jobqueue/test_styles.py) runs on both. `kept_blobs` takes no
lock: the job store awaits it from inside its own `gc`/`forget_user`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import datetime

from jobqueue._memory_blobs import kept_values
from jobqueue._memory_core import job_shas
from jobqueue._memory_store import InMemoryJobStore
from jobqueue._rows import from_epoch
from jobqueue._types import JobState
from jobqueue.styles._types import NewStyle, OwnerForgotten, Style, name_key
from jobqueue.styles.errors import StyleLimitReached, StyleNameTaken, StyleNotFound

__all__ = ["InMemoryStyleStore"]


class InMemoryStyleStore:
    """A server's style library in memory; pictures are blobs of `jobs`."""

    def __init__(self, jobs: InMemoryJobStore, *, clock: Callable[[], datetime] | None = None) -> None:
        self._jobs = jobs
        self._clock = clock or jobs.options.clock
        self._styles: dict[int, Style] = {}
        self._hidden: set[int] = set()
        self._owners: dict[str, set[int]] = {}
        self._ids = itertools.count(1)

    def now(self) -> datetime:
        return self._clock()

    def _find(self, guild_id: int, name: str) -> Style:
        key = name_key(name)
        for style in self._styles.values():
            if style.guild_id == guild_id and style.key == key:
                return style
        raise StyleNotFound(guild_id, name)

    def _taken(self, guild_id: int, name: str, but: int | None = None) -> bool:
        key = name_key(name)
        return any(s.guild_id == guild_id and s.key == key and s.id != but for s in self._styles.values())

    async def add(self, new: NewStyle, *, max_styles: int) -> Style:
        await self._jobs.get_blob(new.sha)  # BlobNotFound, as the database's check
        if self._taken(new.guild_id, new.name):
            raise StyleNameTaken(new.guild_id, new.name)
        if sum(s.guild_id == new.guild_id for s in self._styles.values()) >= max_styles:
            raise StyleLimitReached(new.guild_id, max_styles)
        style = Style(
            id=next(self._ids),
            guild_id=new.guild_id,
            name=new.name,
            description=new.description,
            sha=new.sha,
            added_by=new.added_by,
            owner_id=new.owner_id,
            created_at=from_epoch(self.now().timestamp()),  # type: ignore[arg-type]
        )
        self._styles[style.id] = style
        self._owners.setdefault(new.sha, set()).add(new.owner_id)
        return style

    async def remove(self, guild_id: int, name: str) -> Style:
        return self._styles.pop(self._find(guild_id, name).id)

    async def rename(self, guild_id: int, name: str, new_name: str) -> Style:
        style = self._find(guild_id, name)
        if self._taken(guild_id, new_name, but=style.id):
            raise StyleNameTaken(guild_id, new_name)
        self._styles[style.id] = renamed = dataclasses.replace(style, name=new_name)
        return renamed

    async def get(self, guild_id: int, name: str) -> Style:
        return self._find(guild_id, name)

    async def list_styles(self, guild_id: int) -> list[Style]:
        return sorted((s for s in self._styles.values() if s.guild_id == guild_id), key=lambda s: s.key)

    async def set_builtins_hidden(self, guild_id: int, hidden: bool) -> None:
        (self._hidden.add if hidden else self._hidden.discard)(guild_id)

    async def builtins_hidden(self, guild_id: int) -> bool:
        return guild_id in self._hidden

    async def record_owner(self, sha: str, owner_id: int) -> None:
        self._owners.setdefault(sha, set()).add(owner_id)

    async def owners_of(self, sha: str) -> list[int]:
        return sorted(self._owners.get(sha, ()))

    async def forget_owner(self, user_id: int) -> OwnerForgotten:
        jobs = self._jobs
        async with jobs._lock:
            shas = {sha for sha, owners in self._owners.items() if user_id in owners}
            styles = [s for s in self._styles.values() if s.owner_id == user_id or s.sha in shas]
            for style in styles:
                del self._styles[style.id]
            shas.update(s.sha for s in styles)
            kept_ids = await kept_values(jobs.kept.jobs)
            doomed = [
                j
                for j in jobs._jobs.values()
                if j.state != JobState.RUNNING and j.id not in kept_ids and shas & {j.content_sha, *j.style_shas}
            ]
            for job in doomed:
                del jobs._jobs[job.id]
                jobs._rank.pop(job.id, None)
            still = (await kept_values(jobs.kept.blobs)).union(*(job_shas(j) for j in jobs._jobs.values()))
            gone = shas.union(*(job_shas(j) for j in doomed)) - still
            blobs = sum(jobs._blobs.pop(sha, None) is not None for sha in gone)
            for sha in gone:
                self._owners.get(sha, set()).discard(user_id)
            return OwnerForgotten(len(styles), len(doomed), blobs)

    async def kept_blobs(self) -> set[str]:
        return {s.sha for s in self._styles.values()}
