"""The application's own errors; the root class lives in the foundation package so every library can derive from it.

foundation.StylebotError
└── UsageError            bad command-line or settings value (exit 2)
"""

from __future__ import annotations

from foundation import StylebotError

__all__ = ["StylebotError", "UsageError"]


class UsageError(StylebotError):
    """Invalid command-line argument or setting."""
