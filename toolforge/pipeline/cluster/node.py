"""What one cluster node runs: its runtime, opened once, and the work units it is handed.

A `NodeWorker` lives as one Ray actor per node. `open` builds what episodes and judges need on
that machine — the store connection, the LLM client, the MCP server pool, the toolkits, the
judge — once; `run_unit` then plays a unit's episodes and judges them, storing every trajectory
and verdict under its deterministic id before it answers. A unit run twice (its first node died)
finds what was stored and does only the rest.

This module imports no Ray: the driver wraps the class with `ray.remote`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from contextlib import AsyncExitStack
from typing import Any

from environments.episodes.executors.mcp_pool import MCPPool
from environments.episodes.parallel import Players
from environments.episodes.runtime import open_runtime
from environments.episodes.work import WorkUnit
from environments.tasking.tasks import generate_tasks
from toolforge.core.llm import LLMClient
from toolforge.core.store import Store, WorkUnitRow
from toolforge.core.types import Agent, Task, ToolSpec
from toolforge.pipeline import stages
from toolforge.pipeline.attempts import RoundReports, StageReport, play_and_judge
from toolforge.pipeline.cluster.limits import RaySharedLimits
from toolforge.pipeline.config import PipelineConfig


def node_name(ray_node_id: str = "") -> str:
    """Host name, plus the Ray node id when several nodes share one host (a local cluster)."""
    host = socket.gethostname()
    return f"{host}/{ray_node_id[:8]}" if ray_node_id else host


class NodeWorker:
    def __init__(
        self,
        store_url: str,
        cfg: PipelineConfig,
        agents: list[Agent],
        tools: list[ToolSpec],
        tasks: list[Task],
        run_id: str,
        node: str,
        limits: Any = None,
    ) -> None:
        self.store_url = store_url
        self.cfg = cfg
        self.agents = agents
        self.tools = tools
        self.tasks = {t.id: t for t in tasks}
        self.run_id = run_id
        self.node = node
        # one budget and one concurrency per model for the cluster, through the limits actor
        self.shared = RaySharedLimits(limits) if limits is not None else None
        self.stack = AsyncExitStack()
        self.rcfg = stages.rollout_config(cfg)
        # wall clock (not perf_counter: the driver compares it with its own, on the same host in
        # the bench) when this process had imported toolforge and built the actor
        self.created_at = time.time()

    async def open(self) -> dict[str, Any]:
        """Open the node's runtime; answers who it is, when its actor was built and how long the
        runtime took to open (the driver waits for every node)."""
        t0 = time.perf_counter()
        self.store = Store(self.store_url)
        self.stack.callback(self.store.close)
        cfg = self.cfg
        llm = None
        if cfg.judges.rubric.enabled or cfg.models.task_writer is not None:
            llm = await self.stack.enter_async_context(
                LLMClient(self.store, run_id=self.run_id, budget=cfg.budget, shared=self.shared)
            )
        worlds = stages.world_servers_of(cfg)
        pool = await self.stack.enter_async_context(MCPPool(worlds)) if worlds else None
        self.llm = llm
        self.judge = stages.make_judge(cfg, self.store, self.tools, llm, pool, None, self.run_id)
        self.runtime = await self.stack.enter_async_context(
            open_runtime(self.store, self.rcfg, cfg.models, cfg.budget, self.run_id, self.shared)
        )
        concurrency = cfg.models.judge.concurrency if cfg.models.judge is not None else 8
        self.judge_gate = asyncio.Semaphore(concurrency)
        return {
            "node": self.node,
            "pid": os.getpid(),
            "judge_key": self.judge.key,
            "created_at": self.created_at,
            "open_s": round(time.perf_counter() - t0, 3),
        }

    async def set_tasks(self, tasks: list[Task]) -> int:
        """The run's tasks, once the tasks stage is done (episode units name them by id)."""
        self.tasks = {t.id: t for t in tasks}
        return len(self.tasks)

    async def run_unit(self, unit: WorkUnit) -> dict[str, Any]:
        """A tasks unit (agent ids: write their tasks) or an episodes unit (task ids)."""
        if unit.stage == "tasks":
            return await self._write_tasks(unit)
        return await self._play_and_judge(unit)

    async def _write_tasks(self, unit: WorkUnit) -> dict[str, Any]:
        """The tasks of the unit's agents, stored (a re-run finds them and writes none)."""
        t0 = time.perf_counter()
        by_id = {a.id: a for a in self.agents}
        agents = [by_id[i] for i in unit.task_ids]
        # the tasks of these agents stored before (not every task of the store: one indexed query)
        before = await asyncio.to_thread(self.store.ids_in, Task, "agent_id", unit.task_ids)
        task_cfg = self.cfg.tasks.model_copy(
            update={
                "toolkits": stages.toolkit_refs(self.cfg),
                "mcp_servers": stages.world_servers_of(self.cfg),
            }
        )
        written = await generate_tasks(
            self.store, agents, self.tools, task_cfg, llm=self.llm, writer_cfg=self.cfg.models.task_writer
        )
        made = len({t.id for t in written} - before)
        seconds = round(time.perf_counter() - t0, 3)
        row = WorkUnitRow(
            id=unit.id, run_id=self.run_id, stage=unit.stage, node=self.node, tasks=made, seconds=seconds
        )
        await asyncio.to_thread(self.store.upsert_rows, [row])
        return {"unit": unit.id, "stage": unit.stage, "node": self.node, "tasks": len(agents), "tasks_new": made,
                "rollouts_new": 0, "rollouts_failed": 0, "judged_new": 0, "judged_before": 0, "judged_failed": 0,
                "play_s": seconds, "judge_s": 0.0}  # fmt: skip

    async def _play_and_judge(self, unit: WorkUnit) -> dict[str, Any]:
        """Play attempts 0..unit.attempt of the unit's tasks, judge attempt `unit.attempt` of each:
        the same round as on one machine (`attempts.play_and_judge`)."""
        tasks = [self.tasks[i] for i in unit.task_ids]
        reports = RoundReports(StageReport("rollouts"), StageReport("judges"))
        players = Players(self.store, self.agents, self.tools, self.runtime, self.rcfg)
        t0 = time.perf_counter()
        await play_and_judge(self.store, players, tasks, unit.attempt, self.judge, self.judge_gate, reports)
        rollouts, judged = reports.rollouts, reports.judged
        row = WorkUnitRow(
            id=unit.id,
            run_id=self.run_id,
            stage=unit.stage,
            node=self.node,
            tasks=len(tasks),
            trajectories=rollouts.new,
            verdicts=judged.new,
            seconds=round(time.perf_counter() - t0, 3),
        )
        await asyncio.to_thread(self.store.upsert_rows, [row])
        return {
            "unit": unit.id,
            "stage": unit.stage,
            "node": self.node,
            "tasks": len(tasks),
            "rollouts_new": rollouts.new,
            "rollouts_failed": rollouts.failed,
            "judged_new": judged.new,
            "judged_before": judged.done_before,
            "judged_failed": judged.failed,
            "play_s": rollouts.seconds,
            "judge_s": judged.seconds,
        }

    async def close(self) -> None:
        await self.stack.aclose()
