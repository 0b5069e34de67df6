"""Persistent job buttons (cancel, re-roll, stronger, weaker)."""

from __future__ import annotations

from bot._bot import Stylebot
from bot.exts.buttons._cog import Buttons, JobButton

__all__ = ["setup", "teardown"]


async def setup(bot: Stylebot) -> None:
    bot.add_dynamic_items(JobButton)
    await bot.add_cog(Buttons(bot))


async def teardown(bot: Stylebot) -> None:
    bot.remove_dynamic_items(JobButton)
