"""`Outage`: bounded exponential backoff with jitter for a dependency that went away, logged once per outage.

    outage = Outage("the job store", logger, base=0.5, cap=30)
    try:
        jobs = await store.claim(...)
    except JobQueueError as exc:
        await asyncio.sleep(outage.failed(exc))   # a warning on the first failure only, DEBUG afterwards
    else:
        outage.recovered()                        # one line saying it is back, and after how long

The delays are base, 2·base, 4·base … up to `cap`, each drawn uniformly from its upper half (jitter, so that the
engines of one deployment do not hammer a restarting database in step).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

__all__ = ["Outage"]


class Outage:
    """The state of one dependency as one caller sees it: up, or down since when and after how many tries."""

    def __init__(
        self,
        what: str,
        log: logging.Logger,
        *,
        base: float = 0.5,
        cap: float = 30.0,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.base = max(base, 0.001)
        self.cap = max(cap, self.base)
        self.failures = 0
        self.since: float | None = None
        self._log, self._rng, self._clock = log, rng, clock

    @property
    def down(self) -> bool:
        return self.failures > 0

    def failed(self, exc: BaseException) -> float:
        """Record a failed try; returns how long to wait before the next one (seconds)."""
        self.failures += 1
        if self.failures == 1:
            self.since = self._clock()
            self._log.warning("%s is unavailable; retrying with backoff until it is back: %s", self.what, exc)
        else:
            self._log.debug("%s still unavailable (try %d): %s", self.what, self.failures, exc)
        delay = min(self.cap, self.base * 2 ** min(self.failures - 1, 32))
        return delay * (0.5 + 0.5 * self._rng())

    def recovered(self) -> None:
        """Record a success; logs the end of an outage once."""
        if not self.failures:
            return
        lasted = self._clock() - (self.since if self.since is not None else self._clock())
        self._log.warning("%s is back after %.1f s (%d failed tries)", self.what, lasted, self.failures)
        self.failures, self.since = 0, None
