"""/queue …: admin commands for a server's part of the queue (and the whole queue for the bot's owner)."""

from __future__ import annotations

from bot._bot import Stylebot
from bot.exts.queue._cog import QueueAdmin

__all__ = ["setup"]


async def setup(bot: Stylebot) -> None:
    await bot.add_cog(QueueAdmin(bot))
