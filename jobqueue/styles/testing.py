"""Test doubles of the style library: `InMemoryStyleStore` and `in_memory_style_stores`, which wires it to an
`InMemoryJobStore` the way the entry points wire the SQL stores (the job store keeps every style's picture)."""

from __future__ import annotations

from jobqueue._memory_store import InMemoryJobStore
from jobqueue._policy import KeptRefs, StoreOptions
from jobqueue.styles._memory import InMemoryStyleStore

__all__ = ["InMemoryStyleStore", "in_memory_style_stores"]


def in_memory_style_stores(options: StoreOptions | None = None) -> tuple[InMemoryJobStore, InMemoryStyleStore]:
    """A job store and the style store on it: the in-memory counterpart of
    `open_store(url, kept=style_kept_refs())` + `SqlStyleStore`."""
    stores: list[InMemoryStyleStore] = []

    async def kept_blobs() -> set[str]:
        return await stores[0].kept_blobs()

    jobs = InMemoryJobStore(options, kept=KeptRefs(blobs=(kept_blobs,)))
    stores.append(InMemoryStyleStore(jobs))
    return jobs, stores[0]
