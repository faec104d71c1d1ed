"""Units to nodes, pulled: each node holds at most `per_node` units at a time and gets the next
one when it hands one back, so a fast node does more and a slow one never holds a queue.

A node that dies (its actor's calls fail) is dropped and every unit it held goes back to the
front of the queue for the others. The units' results are stored by id on the nodes, so a unit
that had half finished is completed, not repeated. Only when no node is left does the run stop
— and a re-run resumes it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from environments.episodes.work import WorkUnit
from toolforge.core.errors import ToolforgeError


class ClusterLost(ToolforgeError):
    """Every node died mid-run: what they stored is kept; run the same command again."""


async def dispatch(
    ray: Any,
    actors: dict[str, Any],
    units: Sequence[WorkUnit],
    on_result: Callable[[dict[str, Any]], None],
    on_node_lost: Callable[[str, str], None],
    per_node: int = 2,
) -> None:
    queue: deque[WorkUnit] = deque(units)
    running: dict[Any, tuple[str, WorkUnit]] = {}
    alive = dict(actors)

    def feed() -> None:
        # round-robin, one unit per node per pass: every node starts before any holds a second
        for depth in range(per_node):
            for node, actor in alive.items():
                held = sum(1 for n, _ in running.values() if n == node)
                if held <= depth and queue:
                    unit = queue.popleft()
                    running[actor.run_unit.remote(unit)] = (node, unit)

    feed()
    while running:
        ready, _ = await asyncio.to_thread(ray.wait, list(running), num_returns=1)
        ref = ready[0]
        node, unit = running.pop(ref)
        try:
            result = await asyncio.to_thread(ray.get, ref)
        except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError) as exc:
            queue.appendleft(unit)
            if node in alive:
                del alive[node]
                on_node_lost(node, type(exc).__name__)
            if not alive:
                raise ClusterLost(
                    f"every node of the cluster was lost ({len(queue)} unit(s) unfinished); "
                    "what they stored is kept: run the same command again to resume"
                ) from exc
        else:
            on_result(result)
        feed()
