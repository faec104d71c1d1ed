"""The state check's replay cache: one replay per task while the task is among the last used, a
bound on what it keeps, and the same end state after a task was let go."""

from __future__ import annotations

from typing import Any

import pytest

from judges.replay_cache import ReplayCache
from toolforge.core.types import Rubric, Task, UserGoal


def task(name: str) -> Task:
    return Task(
        agent_id="agent",
        user_goal=UserGoal(description=name, opening_message=name),
        difficulty="single_call",
        rubric=Rubric(success_criteria=[]),
        seed=0,
    )


async def test_a_task_is_replayed_once_while_kept_and_again_once_let_go() -> None:
    replayed: list[str] = []

    async def replay(t: Task) -> dict[str, Any]:
        replayed.append(t.id)
        return {"orders": {t.id: {"n": len(replayed)}}} if t.user_goal.description != "empty" else {}

    cache = ReplayCache(replay, size=2)
    a, b, c, empty = task("a"), task("b"), task("c"), task("empty")
    first = await cache(a)
    assert await cache(a) is first and await cache(b) is not None
    assert replayed == [a.id, b.id]
    await cache(a)  # a is now the most recently used: c lets b go, not a
    await cache(c)
    assert list(cache.kept) == [a.id, c.id] and len(cache.kept) == 2
    await cache(b)
    assert replayed == [a.id, b.id, c.id, b.id]
    assert (cache.hits, cache.misses) == (2, 4)
    assert await cache(empty) == {} and await cache(empty) == {}  # an empty end state is kept too
    assert replayed.count(empty.id) == 1


def test_a_cache_holds_at_least_one_task() -> None:
    async def replay(t: Task) -> dict[str, Any]:
        return {}

    with pytest.raises(ValueError, match="at least one"):
        ReplayCache(replay, size=0)
