"""Durations typed by members ("3d", "36h", "1h30m", "90m", "2w") and Discord timestamps."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

__all__ = ["discord_time", "format_duration", "parse_duration"]

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])")


def parse_duration(text: str) -> timedelta:
    """Parse e.g. "3d", "1h30m", "90 m" or a bare number of hours ("48"); raises ValueError with a readable message."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise ValueError("the duration is empty; write it like 3d, 36h or 1h30m")
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        return timedelta(hours=float(cleaned))
    pos, seconds = 0, 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != pos:
            break
        seconds += float(match[1]) * _UNITS[match[2]]
        pos = match.end()
    if pos != len(cleaned):
        raise ValueError(f"{text!r} is not a duration; write it like 3d, 36h or 1h30m")
    return timedelta(seconds=seconds)


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
