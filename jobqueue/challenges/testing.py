"""Test doubles of challenges: `InMemoryChallengeStore`, the `ChallengeStore` contract on dicts, and
`in_memory_stores`, which wires it to an `InMemoryJobStore` the way the entry points wire the SQL stores.

Use them for fast tests of the bot's challenge features; the contract suite in tests/jobqueue/ runs the same tests
on this fake and on `SqlChallengeStore` (SQLite and PostgreSQL), so the fake cannot drift.
"""

from __future__ import annotations

from jobqueue._memory_store import InMemoryJobStore
from jobqueue._policy import KeptRefs, StoreOptions
from jobqueue.challenges._memory import InMemoryChallengeStore

__all__ = ["InMemoryChallengeStore", "in_memory_stores"]


def in_memory_stores(options: StoreOptions | None = None) -> tuple[InMemoryJobStore, InMemoryChallengeStore]:
    """A job store and the challenge store on it, the job store's `gc`/`forget_user` keeping what open challenges
    still use (and `forget_user` forgetting the member's challenge rows): the in-memory counterpart of
    `open_store(url, kept=challenge_kept_refs())` + `SqlChallengeStore`."""
    stores: list[InMemoryChallengeStore] = []  # the job store is built first, its kept references ask the other

    async def kept_blobs() -> set[str]:
        return await stores[0].kept_blobs()

    async def kept_jobs() -> set[int]:
        return await stores[0].kept_jobs()

    async def forget_member(user_id: int) -> int:
        return await stores[0].forget_member(user_id)

    kept = KeptRefs(blobs=(kept_blobs,), jobs=(kept_jobs,), forget=(forget_member,))
    jobs = InMemoryJobStore(options, kept=kept)
    stores.append(InMemoryChallengeStore(jobs))
    return jobs, stores[0]
