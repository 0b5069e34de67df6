"""`StyleStore`: the interface the bot uses for a server's style library and for the pictures' owners.

`SqlStyleStore` (on the SQL job store's database) and `jobqueue.styles.testing.InMemoryStyleStore` implement it;
one contract suite (tests/jobqueue/test_styles.py) runs against both, so the fake cannot drift.

Shared semantics: names are unique per server by `name_key` (case-insensitive, whitespace collapsed); `add` checks
the cap and the name in one transaction, serialised per server (concurrent adds never pass the cap). A style keeps its
blob while it exists (`style_kept_refs`); removing it deletes only the row, so queued jobs that reference the blob by
sha keep it until they finish. `record_owner` notes whose picture a blob is when it is not the job's own member (a
right-clicked message, a saved upload), `add` notes the new style's `owner_id` the same way, and `owners_of` lists
them; `forget_owner` then deletes, for that member, the styles made from their pictures, other members' jobs that use
them (not running ones) and the pictures themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from jobqueue.styles._types import NewStyle, OwnerForgotten, Style

__all__ = ["StyleStore"]


@runtime_checkable
class StyleStore(Protocol):
    """A server's style library and the owners of pictures (see the module docstring)."""

    def now(self) -> datetime: ...

    async def add(self, new: NewStyle, *, max_styles: int) -> Style: ...
    async def remove(self, guild_id: int, name: str) -> Style: ...
    async def rename(self, guild_id: int, name: str, new_name: str) -> Style: ...
    async def get(self, guild_id: int, name: str) -> Style: ...
    async def list_styles(self, guild_id: int) -> list[Style]: ...

    async def set_builtins_hidden(self, guild_id: int, hidden: bool) -> None: ...
    async def builtins_hidden(self, guild_id: int) -> bool: ...

    async def record_owner(self, sha: str, owner_id: int) -> None: ...
    async def owners_of(self, sha: str) -> list[int]: ...
    async def forget_owner(self, user_id: int) -> OwnerForgotten: ...

    async def kept_blobs(self) -> set[str]: ...
