"""The cluster as the pipeline sees it: the open nodes, the round function the sampling stage
calls, and the per-node tally the summary (and the run's stored stats) shows."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from environments.episodes.work import parts_of, split_work
from toolforge.core.store import Store
from toolforge.core.types import Agent, Task, ToolSpec, Trajectory, Verdict
from toolforge.pipeline.attempts import RoundReports, StageReport
from toolforge.pipeline.cluster.nodes import Nodes, open_nodes
from toolforge.pipeline.cluster.rounds import cluster_round
from toolforge.pipeline.cluster.units import unit_size
from toolforge.pipeline.config import PipelineConfig
from toolforge.pipeline.progress import StageProgress


@dataclass
class NodeStats:
    by_node: dict[str, dict[str, float]] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    open_s: float = 0.0  # the nodes opening their runtimes (a process each, imports, servers)
    # of which, per node: its actor built (a worker process with toolforge imported), then its
    # runtime opened (store, servers, judge)
    started_s: dict[str, float] = field(default_factory=dict)
    opened_s: dict[str, float] = field(default_factory=dict)

    def add(self, result: dict[str, Any]) -> None:
        row = self.by_node.setdefault(
            result["node"],
            {"units": 0, "tasks": 0, "episodes": 0, "judged": 0, "play_s": 0.0, "judge_s": 0.0},
        )
        row["units"] += 1
        row["tasks"] += result.get("tasks_new", 0)
        row["episodes"] += result["rollouts_new"]
        row["judged"] += result["judged_new"]
        row["play_s"] = round(row["play_s"] + result["play_s"], 3)
        row["judge_s"] = round(row["judge_s"] + result["judge_s"], 3)


@dataclass
class ClusterRun:
    nodes: Nodes
    store: Store
    reports: dict[str, StageReport]
    progress: StageProgress
    stats: NodeStats

    async def round(
        self, pending: list[Task], attempt: int, run_key: str, judge_key: str
    ) -> list[tuple[Task, Trajectory, Verdict]]:
        try:
            # the nodes hold this round's tasks only (units name them by id), not the run's
            await self.set_tasks(pending)
            reports = RoundReports(self.reports["rollouts"], self.reports["judges"], self.progress)
            return await cluster_round(
                self.nodes,
                self.store,
                pending,
                attempt,
                run_key,
                judge_key,
                unit_size(len(pending), len(self.nodes.actors)),
                reports,
                self.stats.add,
            )
        finally:
            self.stats.lost = list(self.nodes.lost)

    async def write_tasks(self, agents: list[Agent], key: str) -> None:
        """The tasks stage on the nodes: units of agents; each node stores its agents' tasks."""
        size = unit_size(len(agents), len(self.nodes.actors))
        units = split_work("tasks", key, [a.id for a in agents], parts_of(len(agents), size))
        await self.nodes.run(units, self.stats.add)
        self.stats.lost = list(self.nodes.lost)

    async def set_tasks(self, tasks: list[Task]) -> None:
        """Hand `tasks` to every node (each replaces what it held)."""
        await self.nodes.set_tasks(tasks)


async def open_cluster(
    ray: Any,
    store: Store,
    cfg: PipelineConfig,
    agents: list[Agent],
    tools: list[ToolSpec],
    tasks: list[Task],
    run_id: str,
    reports: dict[str, StageReport],
    progress: StageProgress,
    stats: NodeStats,
) -> ClusterRun:
    # the nodes open the store by its URL: the one this process resolved (flag, env, config)
    url = store.engine.url.render_as_string(hide_password=False)
    started = time.perf_counter()
    nodes = await open_nodes(ray, url, cfg, agents, tools, tasks, run_id)
    stats.open_s = round(time.perf_counter() - started, 2)
    stats.started_s, stats.opened_s = dict(nodes.started_s), dict(nodes.opened_s)
    return ClusterRun(nodes, store, reports, progress, stats)
