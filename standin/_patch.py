"""Pointing the unmodified discord.py at another Discord-compatible endpoint (the stand-in, or a proxy).

discord.py has no option for this; three class attributes decide where it goes, and this is the supported way to
set them: `discord.http.Route.BASE` (REST), `discord.webhook.async_.Route.BASE` (interaction callbacks and
webhooks; the same class in discord.py 2.7, a separate one in some versions) and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` (the websocket; READY's `resume_gateway_url` takes over after).
Entry points call `patch_discord(settings.discord_api_base, settings.discord_gateway_url)` when those settings
differ from Discord's defaults.
"""

from __future__ import annotations

import contextlib

__all__ = ["patch_discord"]


class _Patch(contextlib.AbstractContextManager["_Patch"]):
    """Returned by `patch_discord`: already applied; `undo()` (or leaving a `with` block) restores the old values."""

    def __init__(self, api_base: str, gateway_url: str) -> None:
        import discord.gateway
        import discord.http
        import discord.webhook.async_
        import yarl

        self._targets = [
            (discord.http.Route, "BASE", api_base.rstrip("/")),
            (discord.webhook.async_.Route, "BASE", api_base.rstrip("/")),
            (discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway_url)),
        ]
        self._saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in self._targets]
        for owner, name, value in self._targets:
            setattr(owner, name, value)

    def undo(self) -> None:
        for owner, name, value in reversed(self._saved):
            setattr(owner, name, value)

    def __exit__(self, *exc: object) -> None:
        self.undo()


def patch_discord(api_base: str, gateway_url: str) -> _Patch:
    """Send discord.py's REST, webhook and gateway traffic to `api_base` / `gateway_url` (process-wide).

    Usable as a plain call (`patch = patch_discord(...); …; patch.undo()`) or as `with patch_discord(...):`.
    """
    return _Patch(api_base, gateway_url)
