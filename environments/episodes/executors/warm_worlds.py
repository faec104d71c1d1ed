"""A warm pool of per-episode worlds: copies of one server started ahead from the server's own
seed, so an episode that begins there takes a ready world while a replacement starts behind it.

Each world serves exactly one episode and is then discarded, never reset for another: warm
episodes are as isolated as cold ones. An episode whose initial world differs from the seed gets
None here and starts its own seeded copy. Filling begins with the pool's second request, so a pool
opened for a single replay never starts worlds it will not use.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

W = TypeVar("W")
_UNKNOWN: Any = object()


class WarmWorlds(Generic[W]):
    def __init__(
        self,
        size: int,
        start: Callable[[], W],
        alive: Callable[[W], Awaitable[bool]],
        seed_of: Callable[[W], Any],
        discard: Callable[[W], Awaitable[None]],
    ) -> None:
        """`start` begins a world from the server's own seed (not awaited: it starts behind us);
        `alive` waits until it is up; `seed_of` reads its world, None if unreadable; `discard` ends it."""
        self.size = size
        self._start, self._alive, self._seed_of, self._discard = start, alive, seed_of, discard
        self.idle: deque[W] = deque()
        self.seed: Any = _UNKNOWN  # the server's own seed world, once read (or told by `fresh_world`)
        self.requests = 0
        self.taken = 0
        self.closed = False

    def _fits(self, initial: Any) -> bool:
        return initial is None or self.seed is _UNKNOWN or initial == self.seed

    def _top_up(self) -> None:
        while not self.closed and len(self.idle) < self.size:
            self.idle.append(self._start())

    async def take(self, initial: Any) -> W | None:
        """A started world for an episode that begins from `initial` (None: the server's own seed),
        or None when the episode needs a copy of its own."""
        self.requests += 1
        world = self.idle.popleft() if self.idle and self._fits(initial) else None
        if self.requests > 1:
            self._top_up()  # the replacement (or the first fill) starts now, behind this episode
        if world is None:
            return None
        if not await self._alive(world):
            await self._discard(world)
            return None
        if initial is not None:
            if self.seed is _UNKNOWN:
                self.seed = self._seed_of(world)
            if initial != self.seed:
                self.idle.appendleft(world)  # untouched, still a fresh seed world
                return None
        self.taken += 1
        return world

    async def close(self) -> None:
        self.closed = True
        worlds = list(self.idle)
        self.idle.clear()
        await asyncio.gather(*(self._discard(w) for w in worlds), return_exceptions=True)
