"""Fixtures of the delivery tests against the local Discord stand-in (real sockets, unmodified discord.py)."""

from __future__ import annotations

from tests.standin.fixtures import bot, rest_client, world

__all__ = ["bot", "rest_client", "world"]
