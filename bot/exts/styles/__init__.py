"""The server style library: /style add|remove|rename|list|show|builtins, autocomplete of style names (used by
/stylize and /challenge start), the "Stylize" message command (right-click a picture → Apps → Stylize), and the
"Save as style" button of results and challenges (organisers).

Styles live in the queue's database behind the `jobqueue.StyleStore` the entry point hands to `Stylebot`
(`styles=`). A bot built without one still offers the built-in styles; adding styles then answers that it is off.
"""

from __future__ import annotations

from bot._bot import Stylebot
from bot.exts.styles._cog import Styles
from bot.exts.styles._library import StyleLibrary

__all__ = ["StyleLibrary", "Styles", "setup"]


async def setup(bot: Stylebot) -> None:
    bot.style_library = StyleLibrary(bot, bot.style_store)
    await bot.add_cog(Styles(bot, bot.style_library))
