"""Durations typed by members ("3d", "36h", "1h30m", "90m", "2w") and Discord timestamps."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

__all__ = ["discord_time", "format_duration", "parse_duration"]

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
MAX_PARSED = timedelta(days=3650)  # anything longer is nonsense (the challenge rules allow far less)
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])")


def parse_duration(text: str) -> timedelta:
    """Parse e.g. "3d", "1h30m", "90 m" or a bare number of hours ("48"); raises ValueError with a readable message
    (also for absurd values such as 400 nines, which would overflow a timedelta)."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise ValueError("the duration is empty; write it like 3d, 36h or 1h30m")
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        return _bounded(float(cleaned) * 3600, text)
    pos, seconds = 0, 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != pos:
            break
        seconds += float(match[1]) * _UNITS[match[2]]
        pos = match.end()
    if pos != len(cleaned):
        raise ValueError(f"{_shown(text)} is not a duration; write it like 3d, 36h or 1h30m")
    return _bounded(seconds, text)


def _bounded(seconds: float, text: str) -> timedelta:
    if not math.isfinite(seconds) or seconds > MAX_PARSED.total_seconds():
        raise ValueError(f"{_shown(text)} is far too long; write at most a few weeks, like 14d")
    return timedelta(seconds=seconds)


def _shown(text: str) -> str:
    """The member's text, shortened: a reply quoting 6000 characters back would itself be refused by Discord."""
    return repr(text if len(text) <= 24 else text[:20] + "…")


def format_duration(value: timedelta) -> str:
    """The largest two units, e.g. "2d 4h", "1h 30m", "45s"."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in _UNITS.items():
        if unit == "w":
            continue
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return " ".join(parts[:2]) or "0s"


def discord_time(value: datetime, style: str = "F") -> str:
    """A Discord timestamp that each member sees in their own time zone (`R` = relative, `F` = full date)."""
    return f"<t:{int(value.timestamp())}:{style}>"
