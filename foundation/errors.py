"""The root of every stylebot exception.

Each package defines its own base in its `errors.py` that derives from `StylebotError`; entry points catch
`StylebotError` and print a one-line reason.

    StylebotError
    ├── stylebot.errors.UsageError    bad command-line or settings value (exit 2)
    ├── engine.errors.EngineError
    ├── jobqueue.errors.JobQueueError
    ├── delivery.errors.DeliveryError
    ├── standin.errors.StandinError
    └── bot.errors.BotError
"""

from __future__ import annotations

__all__ = ["StylebotError"]


class StylebotError(Exception):
    """stylebot failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip().splitlines()[0])

    @property
    def message(self) -> str:
        return str(self)
