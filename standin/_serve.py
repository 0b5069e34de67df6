"""A ready-made world for `stylebot demo` and quick experiments: a started stand-in, a guild, a member, an admin."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from standin._records import Channel, Guild, User
from standin._server import Standin

__all__ = ["Scene", "serve"]


@dataclass(frozen=True)
class Scene:
    standin: Standin
    guild: Guild
    channel: Channel
    member: User
    admin: User

    def env(self) -> dict[str, str]:
        """Environment for the bot and engine processes (token, API base, gateway URL, attachment hosts)."""
        return self.standin.env()


@contextlib.asynccontextmanager
async def serve(
    *,
    guild_name: str = "stylebot demo",
    channel_name: str = "general",
    member_name: str = "member",
    admin_name: str = "admin",
    **standin_options: Any,
) -> AsyncIterator[Scene]:
    """`async with serve() as scene:` starts a stand-in with one guild, channel, member and admin; closes it after."""
    standin = Standin(**standin_options)
    guild = standin.add_guild(guild_name, channels=(channel_name,))
    member = standin.add_member(guild.id, name=member_name)
    admin = standin.add_member(guild.id, name=admin_name, admin=True)
    async with standin:
        yield Scene(standin, guild, standin.state.channels[guild.channel_id], member, admin)
