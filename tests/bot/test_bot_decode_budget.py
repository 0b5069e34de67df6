"""PixelBudget: one ceiling on the pixels being decoded at once, first come first served, never leaked."""

from __future__ import annotations

import asyncio

import pytest

from bot._decode_budget import PixelBudget
from bot.errors import ImageTooLargeToDecode


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def _hold(budget: PixelBudget, pixels: int, log: list[str], name: str, release: asyncio.Event) -> None:
    async with budget.reserve(pixels):
        log.append(name)
        await release.wait()


async def test_a_request_waits_until_enough_pixels_are_released() -> None:
    budget = PixelBudget(100)
    log: list[str] = []
    first, second = asyncio.Event(), asyncio.Event()
    a = asyncio.create_task(_hold(budget, 70, log, "a", first))
    b = asyncio.create_task(_hold(budget, 40, log, "b", second))
    await _settle()
    assert log == ["a"] and budget.in_use == 70 and budget.waiting == 1
    first.set()
    await _settle()
    assert log == ["a", "b"] and budget.in_use == 40
    second.set()
    await asyncio.gather(a, b)
    assert budget.in_use == 0


async def test_a_big_request_is_not_starved_by_a_stream_of_small_ones() -> None:
    budget = PixelBudget(100)
    log: list[str] = []
    releases = [asyncio.Event() for _ in range(6)]
    tasks = [asyncio.create_task(_hold(budget, 30, log, "small0", releases[0]))]
    await _settle()
    tasks.append(asyncio.create_task(_hold(budget, 100, log, "big", releases[1])))
    await _settle()
    for n in range(2, 6):  # small ones that would fit beside small0 arrive after the big one
        tasks.append(asyncio.create_task(_hold(budget, 30, log, f"small{n}", releases[n])))
    await _settle()
    assert log == ["small0"]  # nobody overtakes the big request at the head of the line
    releases[0].set()
    await _settle()
    assert log == ["small0", "big"]
    releases[1].set()
    await _settle()
    assert log == ["small0", "big", "small2", "small3", "small4"]  # then as many as fit, in order
    for event in releases:
        event.set()
    await asyncio.gather(*tasks)
    assert budget.in_use == 0 and budget.waiting == 0


async def test_the_reservation_is_released_when_the_block_raises() -> None:
    budget = PixelBudget(100)
    with pytest.raises(RuntimeError):
        async with budget.reserve(100):
            raise RuntimeError("decoder failed")
    assert budget.in_use == 0
    async with budget.reserve(100):
        assert budget.in_use == 100


async def test_a_cancelled_waiter_leaves_the_line_and_lets_the_others_through() -> None:
    budget = PixelBudget(100)
    log: list[str] = []
    hold, rest = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(_hold(budget, 60, log, "holder", hold))
    await _settle()
    big = asyncio.create_task(_hold(budget, 90, log, "big", rest))
    small = asyncio.create_task(_hold(budget, 40, log, "small", rest))
    await _settle()
    assert log == ["holder"] and budget.waiting == 2
    big.cancel()  # the head of the line gives up: the small one behind it fits now
    await _settle()
    assert log == ["holder", "small"] and budget.waiting == 0 and budget.in_use == 100
    hold.set()
    rest.set()
    await asyncio.gather(holder, small)
    with pytest.raises(asyncio.CancelledError):
        await big
    assert budget.in_use == 0


async def test_a_waiter_cancelled_just_after_its_grant_gives_the_pixels_back() -> None:
    budget = PixelBudget(100)
    log: list[str] = []
    holding = budget.reserve(100)
    await holding.__aenter__()
    waiter = asyncio.create_task(_hold(budget, 100, log, "waiter", asyncio.Event()))
    await _settle()
    await holding.__aexit__(None, None, None)  # the release grants the waiter at once (nothing awaited) …
    waiter.cancel()  # … and it is cancelled before it gets to run
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert log == [] and budget.in_use == 0 and budget.waiting == 0


async def test_a_request_larger_than_the_whole_budget_is_refused_at_once() -> None:
    budget = PixelBudget(1_000_000)
    with pytest.raises(ImageTooLargeToDecode) as caught:
        async with budget.reserve(121_000_000):
            pass
    assert (caught.value.pixels, caught.value.capacity) == (121_000_000, 1_000_000)
    assert budget.in_use == 0 and budget.waiting == 0
    with pytest.raises(ValueError, match="positive"):
        PixelBudget(0)
