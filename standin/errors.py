"""Errors raised by the stand-in's scripting API (never by its HTTP side, which answers like Discord does).

StylebotError
└── StandinError
    ├── WaitTimeout        a wait_for* helper gave up (also a TimeoutError)
    ├── UnknownCommand     run_command named a command nobody synced
    ├── BadOption          an option the synced command does not accept, or a value it would refuse
    ├── UnknownComponent   click() named a custom_id that is not on the message (or is disabled)
    └── NotConnected       no gateway session is identified to receive the event
"""

from __future__ import annotations

from foundation import StylebotError

__all__ = ["BadOption", "NotConnected", "StandinError", "UnknownCommand", "UnknownComponent", "WaitTimeout"]


class StandinError(StylebotError):
    """The local Discord stand-in was asked for something it cannot do."""


class WaitTimeout(StandinError, TimeoutError):
    """Timed out waiting for the stand-in to record something."""


class UnknownCommand(StandinError):
    """No application command with that name was synced to the stand-in."""


class BadOption(StandinError):
    """The command does not accept that option or value (a Discord client would refuse it)."""


class UnknownComponent(StandinError):
    """The message carries no enabled component with that custom_id."""


class NotConnected(StandinError):
    """No bot is connected to the stand-in's gateway."""
