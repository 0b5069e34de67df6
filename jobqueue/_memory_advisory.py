"""Advisory leases in `InMemoryJobStore` (the twin of `jobqueue._sql_advisory`)."""

from __future__ import annotations

from datetime import timedelta

from jobqueue._memory_core import MemoryCore

__all__ = ["MemoryAdvisory"]


class MemoryAdvisory(MemoryCore):
    """Advisory leases (see `JobStore.hold_lease`)."""

    async def hold_lease(self, name: str, holder: str, *, seconds: float) -> bool:
        async with self._lock:
            now, leases = self._now(), self._advisory
            current = leases.get(name)
            if current is not None and current[0] != holder and current[1] >= now:
                return False
            leases[name] = (holder, now + timedelta(seconds=seconds))
            return True

    async def drop_lease(self, name: str, holder: str) -> None:
        async with self._lock:
            leases = self._advisory
            if name in leases and leases[name][0] == holder:
                del leases[name]
