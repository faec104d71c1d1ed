"""The driver's side of a Ray run: one `NodeWorker` actor per alive node, opened together,
handed units, and closed at the end (or killed, when the driver is)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from environments.episodes.work import WorkUnit
from toolforge.core.errors import ConfigError
from toolforge.core.types import Agent, Task, ToolSpec
from toolforge.pipeline.cluster.dispatch import dispatch
from toolforge.pipeline.cluster.limits import start_limits
from toolforge.pipeline.cluster.node import NodeWorker, node_name
from toolforge.pipeline.config import PipelineConfig


@dataclass
class Nodes:
    ray: Any
    actors: dict[str, Any]
    limits: Any  # the cluster-wide model budget and concurrency (cluster/limits.py)
    lost: list[str] = field(default_factory=list)
    # per node: seconds from asking Ray for its actor to the actor built (a worker process,
    # toolforge imported), then seconds its runtime took to open
    started_s: dict[str, float] = field(default_factory=dict)
    opened_s: dict[str, float] = field(default_factory=dict)

    async def run(
        self, units: list[WorkUnit], on_result: Callable[[dict[str, Any]], None], per_node: int = 2
    ) -> None:
        def lose(node: str, why: str) -> None:
            self.lost.append(f"{node} ({why})")
            self.actors.pop(node, None)

        await dispatch(self.ray, self.actors, units, on_result, lose, per_node)

    async def set_tasks(self, tasks: list[Task]) -> None:
        """Hand every node `tasks` (each replaces what it held); a node that cannot take them is
        lost, as one lost in a unit is (the others do its share)."""
        handed = self.ray.put(tasks)
        calls = {node: actor.set_tasks.remote(handed) for node, actor in self.actors.items()}
        for node, call in calls.items():
            try:
                await asyncio.to_thread(self.ray.get, call)
            except (self.ray.exceptions.RayActorError, self.ray.exceptions.ActorUnavailableError) as exc:
                self.lost.append(f"{node} ({type(exc).__name__})")
                self.actors.pop(node, None)

    async def close(self) -> None:
        closing = [actor.close.remote() for actor in self.actors.values()]
        try:
            await asyncio.to_thread(self.ray.get, closing, timeout=60)
        except (self.ray.exceptions.RayError, TimeoutError):
            pass  # a node that cannot close cleanly is killed below; nothing unstored is lost
        for actor in [*self.actors.values(), self.limits]:
            self.ray.kill(actor)


def alive_nodes(ray: Any) -> list[str]:
    """Nodes that take work: alive, with CPUs (a head started with --num-cpus 0 only schedules)."""
    return sorted(
        n["NodeID"] for n in ray.nodes() if n.get("Alive") and (n.get("Resources") or {}).get("CPU", 0) > 0
    )


async def open_nodes(
    ray: Any,
    store_url: str,
    cfg: PipelineConfig,
    agents: list[Agent],
    tools: list[ToolSpec],
    tasks: list[Task],
    run_id: str,
) -> Nodes:
    """One actor per alive node, pinned to it, each with its runtime open."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    node_ids = alive_nodes(ray)
    if not node_ids:
        raise ConfigError(
            "the Ray cluster has no node to work on (alive, with CPUs): start workers with "
            "`ray start --address HEAD:6379` (or docker compose up --scale ray-worker=N)"
        )
    asked_at = time.time()
    remote = ray.remote(num_cpus=0, max_restarts=0)(NodeWorker)
    limits = start_limits(ray)
    shared = [ray.put(agents), ray.put(tools), ray.put(tasks)]
    actors = {
        node_name(node_id): remote.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False)
        ).remote(store_url, cfg, *shared, run_id, node_name(node_id), limits)
        for node_id in node_ids
    }
    nodes = Nodes(ray, actors, limits)
    try:
        opened = await asyncio.to_thread(ray.get, [a.open.remote() for a in actors.values()])
    except ray.exceptions.RayError as exc:
        for actor in [*actors.values(), limits]:
            ray.kill(actor)
        raise ConfigError(
            f"a cluster node could not open its runtime: {exc}. Every node needs the same toolforge "
            "version, the config's input files at the same paths, and access to the store"
        ) from exc
    for answer in opened:
        nodes.started_s[answer["node"]] = round(answer["created_at"] - asked_at, 3)
        nodes.opened_s[answer["node"]] = answer["open_s"]
    return nodes
