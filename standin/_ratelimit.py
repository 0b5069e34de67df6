"""Optional Discord-like rate limits: per-route buckets keyed by their major parameter, with X-RateLimit headers.

Off by default (tests stay fast); `Standin(rate_limits=(5, 5.0))` allows 5 requests per 5 s per bucket. Every
answer then carries X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket, so discord.py waits on its own before it
runs out; a client that ignores them gets 429 (with `Via`, so discord.py retries).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

__all__ = ["Bucket", "RateLimiter"]

_ID = re.compile(r"/\d{5,}")
_MAJOR = re.compile(r"^/(channels|guilds|webhooks|interactions)/(\d+)(/[^/]+)?")


@dataclass
class Bucket:
    name: str
    limit: int
    per: float
    hits: list[float] = field(default_factory=list)

    def take(self, now: float) -> float:
        """Record a request; 0.0 when allowed, else seconds until a slot frees up."""
        self.hits = [t for t in self.hits if now - t < self.per]
        if len(self.hits) >= self.limit:
            return self.per - (now - self.hits[0])
        self.hits.append(now)
        return 0.0

    def headers(self, now: float) -> dict[str, str]:
        remaining = max(0, self.limit - len(self.hits))
        reset_after = self.per - (now - self.hits[0]) if self.hits else 0.0
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.name,
        }


class RateLimiter:
    def __init__(self, limit: int, per: float) -> None:
        self.limit = limit
        self.per = per
        self.buckets: dict[str, Bucket] = {}

    def bucket(self, method: str, path: str) -> Bucket:
        """Buckets differ by method and route shape; webhook/interaction tokens and channel/guild ids are major."""
        major = _MAJOR.match(path)
        shape = _ID.sub("/{id}", path)
        key = f"{method} {shape} {major.group(0) if major else ''}"
        if key not in self.buckets:
            self.buckets[key] = Bucket(f"standin-{len(self.buckets):04d}", self.limit, self.per)
        return self.buckets[key]
