"""The per-model concurrency limit: never more than its limit, first come first served, and a
cancelled waiter neither keeps nor loses a slot."""

from __future__ import annotations

import asyncio

import pytest

from toolforge.core.llm.limiter import Limiter


async def test_never_more_than_the_limit_and_in_arrival_order() -> None:
    limiter = Limiter(3)
    running = peak = 0
    order: list[int] = []

    async def job(i: int) -> None:
        nonlocal running, peak
        async with limiter:
            order.append(i)
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.001 * (i % 4))
            running -= 1

    await asyncio.gather(*(job(i) for i in range(200)))
    assert peak == 3
    assert order == list(range(200))
    assert limiter.in_use == 0


async def test_a_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    limiter = Limiter(1)
    release = asyncio.Event()
    entered: list[str] = []

    async def hold(name: str) -> None:
        async with limiter:
            entered.append(name)
            await release.wait()

    first = asyncio.create_task(hold("first"))
    waiting = asyncio.create_task(hold("cancelled"))
    last = asyncio.create_task(hold("last"))
    await asyncio.sleep(0.01)
    waiting.cancel()
    release.set()
    await asyncio.gather(first, last)
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert entered == ["first", "last"]
    assert limiter.in_use == 0


async def test_a_slot_handed_to_a_waiter_cancelled_in_the_same_step_is_passed_on() -> None:
    limiter = Limiter(1)
    await limiter.__aenter__()
    waiter = asyncio.create_task(limiter.__aenter__())
    after = asyncio.create_task(limiter.__aenter__())
    await asyncio.sleep(0)
    await limiter.__aexit__()  # the slot goes to `waiter`...
    waiter.cancel()  # ...which is cancelled before it runs: the slot must reach `after`
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.wait_for(after, 1)
    assert limiter.in_use == 1
    await limiter.__aexit__()
    assert limiter.in_use == 0


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Limiter(0)
