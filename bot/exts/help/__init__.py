"""/help: one private page of what the bot can do on this server."""

from __future__ import annotations

from bot._bot import Stylebot
from bot.exts.help._cog import Help

__all__ = ["setup"]


async def setup(bot: Stylebot) -> None:
    await bot.add_cog(Help(bot))
