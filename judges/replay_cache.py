"""The state check's reference end states, kept per task with a bound.

Replaying a task's blueprint (`environments.blueprints.replay_blueprint`) costs a simulated or real
episode, and every attempt at the task compares with the same end state, so it is replayed once and
kept. A run of 100,000 attempts must not keep every task's: the cache holds the `size` most recently
used and lets the oldest go. The pipeline judges one batch of tasks at a time (all of a task's
attempts within its batch), so a bound above the batch size loses no hit; a miss beyond it only
replays again (replays are deterministic: the same task gives the same end state).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from judges.state import Replay
from toolforge.core.types import Task


class ReplayCache:
    """`replay`, remembered for the `size` tasks used last. The judge that is given it owns it."""

    def __init__(self, replay: Replay, size: int) -> None:
        if size < 1:
            raise ValueError(f"a replay cache holds at least one task, got size {size}")
        self.replay = replay
        self.size = size
        self.kept: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.hits = self.misses = 0

    async def __call__(self, task: Task) -> dict[str, Any]:
        state = self.kept.get(task.id)
        if state is not None:
            self.hits += 1
            self.kept.move_to_end(task.id)
            return state
        self.misses += 1
        state = await self.replay(task)
        self.kept[task.id] = state
        while len(self.kept) > self.size:
            self.kept.popitem(last=False)
        return state
