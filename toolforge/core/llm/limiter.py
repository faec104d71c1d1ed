"""The per-model concurrency limit: a FIFO counting semaphore whose release costs O(1).

`asyncio.Semaphore` of Python 3.11 scans its waiters from the front on every release, and woken
waiters stay at the front until their task runs: a burst of k replies with thousands of calls queued
costs O(k²) (a fifth of the client's CPU at 1,024 in flight). Here a release hands its slot straight
to the oldest waiter, which is popped.
"""

from __future__ import annotations

import asyncio
import collections


class Limiter:
    """At most `limit` holders at once; waiters are served first come, first served."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a concurrency limit must be at least 1, got {limit}")
        self.limit = limit
        self._free = limit
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def in_use(self) -> int:
        return self.limit - self._free

    async def __aenter__(self) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # a slot was handed over just as we were cancelled: pass it on
            raise  # a cancelled waiter left in the queue is skipped by the next release

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot goes to this waiter directly
                return
        self._free += 1
