"""Fixtures: a started stand-in with one guild, discord.py pointed at it, an unmodified commands.Bot, a REST client."""

from __future__ import annotations

from tests.standin.fixtures import bot, rest_client, world

__all__ = ["bot", "rest_client", "world"]
