"""/jobs and /forget: members' own history."""

from __future__ import annotations

from bot._bot import Stylebot
from bot.exts.jobs._cog import Jobs

__all__ = ["setup"]


async def setup(bot: Stylebot) -> None:
    await bot.add_cog(Jobs(bot))
