"""The Discord bot: one extension (Cog) per feature in `bot/exts/` (no torch, no SQL).

Importing `bot` imports nothing heavy; the public names below load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundation import lazy_exports

__all__ = ["EXTENSIONS", "INVITE_PERMISSIONS", "BotConfig", "Stylebot", "command_payload", "invite_url", "payload_hash"]

_LAZY: dict[str, str] = {
    "EXTENSIONS": "bot.exts",
    "BotConfig": "bot._config",
    "INVITE_PERMISSIONS": "bot._invite",
    "invite_url": "bot._invite",
    "Stylebot": "bot._bot",
    "command_payload": "bot._bot",
    "payload_hash": "bot._bot",
}

if TYPE_CHECKING:  # pragma: no cover
    from bot._bot import Stylebot, command_payload, payload_hash
    from bot._config import BotConfig
    from bot._invite import INVITE_PERMISSIONS, invite_url
    from bot.exts import EXTENSIONS


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
