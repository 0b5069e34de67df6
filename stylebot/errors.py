"""The root of every stylebot exception.

Each package defines its own base in its `errors.py` (`EngineError`, `JobQueueError`, `DeliveryError`, `BotError`)
that derives from `StylebotError`; entry points catch `StylebotError` and print a one-line reason.

    StylebotError
    ├── UsageError            bad command-line or settings value (exit 2)
    ├── engine.errors.EngineError
    ├── jobqueue.errors.JobQueueError
    ├── delivery.errors.DeliveryError
    └── bot.errors.BotError
"""

from __future__ import annotations

__all__ = ["StylebotError", "UsageError"]


class StylebotError(Exception):
    """stylebot failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip().splitlines()[0])

    @property
    def message(self) -> str:
        return str(self)


class UsageError(StylebotError):
    """Invalid command-line argument or setting."""
