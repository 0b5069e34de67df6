"""One budget for every image the bot decodes, counted in pixels in flight rather than in requests.

Decoding is the most expensive thing the bot does: an 11000 x 11000 flat PNG of under 500 KiB decodes to about
1.5 GB. A count of concurrent requests cannot bound that (four such files are 6 GB), so every decode (/stylize, the
challenge commands) first reserves its width x height, read from the file's header, from one `PixelBudget`. Grants
are first come, first served: a large request at the head of the line is not overtaken by a stream of small ones
(which could otherwise starve it forever). A request larger than the whole budget is refused at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator

from bot.errors import ImageTooLargeToDecode

__all__ = ["PixelBudget"]


class PixelBudget:
    """At most `capacity` pixels reserved at once; `async with budget.reserve(pixels): ...` waits for its turn."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"a pixel budget needs a positive capacity, got {capacity}")
        self.capacity = capacity
        self._free = capacity
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    @property
    def in_use(self) -> int:
        return self.capacity - self._free

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @contextlib.asynccontextmanager
    async def reserve(self, pixels: int) -> AsyncIterator[None]:
        """Hold `pixels` of the budget for the block; released on exit, whether it returns, raises or is cancelled."""
        if pixels > self.capacity:
            raise ImageTooLargeToDecode(pixels, self.capacity)
        pixels = max(0, pixels)
        await self._acquire(pixels)
        try:
            yield
        finally:
            self._release(pixels)

    async def _acquire(self, pixels: int) -> None:
        if not self._waiters and pixels <= self._free:
            self._free -= pixels
            return
        entry = (pixels, asyncio.get_running_loop().create_future())
        self._waiters.append(entry)
        try:
            await entry[1]
        except BaseException:
            if entry[1].done() and not entry[1].cancelled():  # granted, then cancelled before it could run
                self._release(pixels)
            else:
                self._waiters.remove(entry)
                self._grant()  # it may have been the head that held the others back
            raise

    def _release(self, pixels: int) -> None:
        self._free += pixels
        self._grant()

    def _grant(self) -> None:
        """Grant waiters in arrival order while the one at the head fits."""
        while self._waiters and self._waiters[0][0] <= self._free:
            pixels, future = self._waiters.popleft()
            self._free -= pixels
            future.set_result(None)
