"""Contract: advisory leases (a named role one holder keeps by renewing it), on every JobStore."""

from __future__ import annotations

import asyncio

from jobqueue import JobStore
from tests.jobqueue.helpers import FakeClock


async def test_the_first_holder_gets_the_lease_and_others_are_refused_while_it_runs(
    store: JobStore, clock: FakeClock
) -> None:
    assert await store.hold_lease("delivery-editor", "a", seconds=30)
    assert not await store.hold_lease("delivery-editor", "b", seconds=30)
    clock.advance(29)
    assert not await store.hold_lease("delivery-editor", "b", seconds=30)
    assert await store.hold_lease("other-role", "b", seconds=30)  # names are independent


async def test_the_holder_renews_and_keeps_it(store: JobStore, clock: FakeClock) -> None:
    assert await store.hold_lease("delivery-editor", "a", seconds=30)
    clock.advance(20)
    assert await store.hold_lease("delivery-editor", "a", seconds=30)
    clock.advance(20)  # 40 s after taking it, 20 s after renewing
    assert not await store.hold_lease("delivery-editor", "b", seconds=30)


async def test_an_expired_lease_is_taken_over(store: JobStore, clock: FakeClock) -> None:
    assert await store.hold_lease("delivery-editor", "a", seconds=30)
    clock.advance(31)
    assert await store.hold_lease("delivery-editor", "b", seconds=30)
    assert not await store.hold_lease("delivery-editor", "a", seconds=30)  # the old holder lost it


async def test_a_dropped_lease_is_free_at_once_but_only_its_holder_drops_it(store: JobStore) -> None:
    assert await store.hold_lease("delivery-editor", "a", seconds=30)
    await store.drop_lease("delivery-editor", "b")  # not b's: nothing happens
    assert not await store.hold_lease("delivery-editor", "b", seconds=30)
    await store.drop_lease("delivery-editor", "a")
    assert await store.hold_lease("delivery-editor", "b", seconds=30)


async def test_of_many_contenders_at_once_exactly_one_holds_the_lease(store: JobStore) -> None:
    won = await asyncio.gather(*(store.hold_lease("delivery-editor", f"w{i}", seconds=30) for i in range(8)))
    assert sum(won) == 1
