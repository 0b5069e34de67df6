"""A local Discord stand-in (gateway + REST + CDN) for tests and `stylebot demo`; never used in production paths.

    from standin import Standin, patch_discord

    async with Standin() as discord_:
        guild = discord_.add_guild()
        member = discord_.add_member(guild.id, name="alice")
        with patch_discord(discord_.api_base, discord_.gateway_url):
            ...  # start the unmodified discord.py client with discord_.token
        inter = await discord_.run_command("stylize", {"content": discord_.add_attachment(png, "a.png", "image/png")},
                                           user=member)
        msg = await discord_.wait_for_message(guild.channel_id, lambda m: m.attachments)

See standin/README.md for the API and DEVELOPERS.md for the Discord details that cost time to find.
"""

from standin._patch import patch_discord
from standin._records import (
    ADMINISTRATOR,
    DEFAULT_MEMBER_PERMISSIONS,
    EPHEMERAL,
    LOADING,
    MANAGE_GUILD,
    Callback,
    Channel,
    Guild,
    Interaction,
    Message,
    RequestRecord,
    StoredFile,
    User,
)
from standin._serve import Scene, serve
from standin._server import Standin
from standin._state import INTERACTION_TTL, NONCE_WINDOW, Clock
from standin.errors import BadOption, NotConnected, StandinError, UnknownCommand, UnknownComponent, WaitTimeout

__all__ = [
    "ADMINISTRATOR",
    "DEFAULT_MEMBER_PERMISSIONS",
    "EPHEMERAL",
    "INTERACTION_TTL",
    "LOADING",
    "MANAGE_GUILD",
    "NONCE_WINDOW",
    "BadOption",
    "Callback",
    "Channel",
    "Clock",
    "Guild",
    "Interaction",
    "Message",
    "NotConnected",
    "RequestRecord",
    "Scene",
    "Standin",
    "StandinError",
    "StoredFile",
    "UnknownCommand",
    "UnknownComponent",
    "User",
    "WaitTimeout",
    "patch_discord",
    "serve",
]
