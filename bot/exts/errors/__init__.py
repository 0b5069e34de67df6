"""The one error-handler extension: exceptions → ephemeral text a member can act on."""

from __future__ import annotations

from bot._bot import Stylebot
from bot.exts.errors._cog import ErrorHandler

__all__ = ["setup"]


async def setup(bot: Stylebot) -> None:
    await bot.add_cog(ErrorHandler(bot))
