"""/stylize: members queue a style transfer."""

from __future__ import annotations

from bot._bot import Stylebot
from bot.exts.stylize._cog import Stylize

__all__ = ["setup"]


async def setup(bot: Stylebot) -> None:
    await bot.add_cog(Stylize(bot))
