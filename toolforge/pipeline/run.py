"""`toolforge generate`: tools → agents → tasks → rollouts → judges → selection → export.

A run is named by its config (`name`) and identified by a fingerprint of what it means. A
re-run of the same config reports what is already stored and does the rest; a changed config
says which keys changed and which stages that re-does (work of the old config stays stored).

A run is driven by one live process at a time (a lock beside its store), its status is kept
(running, finished, failed, interrupted), and a re-run of a finished run whose tool inputs lost
tools (a server down or removed) stops before it reshapes anything, unless changes are allowed.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from environments.episodes.code_task_episode import TOOL_SPECS
from environments.episodes.executors.mcp_pool import MCPPool
from judges import Judge, SamplingStats
from toolforge.core import secrets
from toolforge.core.errors import ToolforgeError
from toolforge.core.llm import LLMClient
from toolforge.core.store import RunRow, Store
from toolforge.core.types import Agent, Task, ToolSpec
from toolforge.export import ExportRecord, ExportResult, export_batches, record_batches
from toolforge.pipeline import stages
from toolforge.pipeline.attempts import RoundReports, clock, since
from toolforge.pipeline.cluster.stats import ClusterRun, NodeStats, open_cluster
from toolforge.pipeline.config import PipelineConfig
from toolforge.pipeline.fingerprint import changed_keys, changed_stages, config_dict, semantic, stage_keys
from toolforge.pipeline.outcome import Outcome, failure_groups, failure_ids, judge_outcome
from toolforge.pipeline.progress import Quiet, StageProgress
from toolforge.pipeline.runlock import RunLock
from toolforge.pipeline.stages import StageReport
from toolforge.tools.servers import load_servers


@dataclass
class PipelineResult:
    run_id: str
    fingerprint: str
    resumed: list[str]
    reports: list[StageReport]
    sampling: SamplingStats
    export: ExportResult
    seconds: float
    changes: list[str] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)
    nodes: NodeStats = field(default_factory=lambda: NodeStats())


class InputsChanged(ToolforgeError):
    """A re-run of a finished run would reshape it because an input lost tools."""


FINISHED = ("finished", "done")  # "done": what runs before statuses were kept wrote


def run_id_of(cfg: PipelineConfig) -> str:
    return f"pipeline:{cfg.name}"


def resume_notes(
    previous: RunRow | None, cfg: PipelineConfig, keys: dict[str, str]
) -> tuple[list[str], list[str]]:
    """(lines about the previous run, changed config keys)."""
    if previous is None:
        return ([f"new run {cfg.name!r}"], [])
    old_keys = (previous.stats or {}).get("stage_keys", {})
    state = previous.status if previous.status != "done" else "finished"
    if state == "running":  # we hold the lock, so its process is gone (killed)
        state = "interrupted (its process ended without a word)"
    if old_keys == keys:
        return ([f"resuming run {cfg.name!r} (same config, last run {state}): stored work is reused"], [])
    changes = changed_keys(semantic(previous.config), semantic(config_dict(cfg)))
    redo = changed_stages(old_keys, keys)
    lines = [
        f"run {cfg.name!r}: the config changed since the last run ({len(changes)} key(s))",
        *[f"  {c}" for c in changes[:20]],
        f"  stages redone from: {redo[0]}" if redo else "  no stage is affected",
        "  work stored under the old config is kept and reused where it still applies",
    ]
    return lines, changes


SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|AUTH", re.IGNORECASE)


def register_secrets(cfg: PipelineConfig) -> None:
    """Every key the run may read, masked from the start (before any call could echo one): the
    models' `api_key_env` values, and the servers' env entries and headers named like a secret."""
    for _, llm in cfg.models:
        if llm is not None and llm.api_key_env:
            secrets.register(os.environ.get(llm.api_key_env))
    servers = list(stages.world_servers_of(cfg).values())
    if cfg.tools.servers is not None:
        servers += load_servers(cfg.input_path(cfg.tools.servers))
    for server in servers:
        for name, value in {**server.env, **(getattr(server, "headers", None) or {})}.items():
            if SECRET_NAME.search(name):
                secrets.register(value)


def input_changes(previous: RunRow | None, tools: list[Any], failed: dict[str, str]) -> list[str]:
    """What the finished `previous` run had that this run's tool inputs no longer give."""
    if previous is None or previous.status not in FINISHED:
        return []
    before = (previous.stats or {}).get("inputs")
    if not before:
        return []
    now = Counter(t.origin for t in tools)
    lines = []
    for origin, count in sorted(before.get("origins", {}).items()):
        if now.get(origin, 0) < count:
            why = (
                failed.get(origin)
                or "not among this run's inputs (removed from the servers file or catalog?)"
            )
            lines.append(f"{origin}: {count} tool(s) in the finished run, {now.get(origin, 0)} now: {why}")
    missing = set(before.get("tool_ids", [])) - {t.id for t in tools}
    if missing and not lines:
        lines.append(f"{len(missing)} tool(s) of the finished run are gone or changed their schema")
    return lines


async def run_pipeline(
    cfg: PipelineConfig,
    console: Console | None = None,
    progress: StageProgress | None = None,
    allow_changes: bool = False,
    max_failure_rate: float | None = None,
    db: str | None = None,
    ray: str | None = None,
) -> PipelineResult:
    """`db` is the `--db` flag: it wins over `TOOLFORGE_DB` and the config (`cfg.store_url`).
    `ray` (or the config's `ray`) names a Ray cluster: checked, with the store, before any work.
    `progress` hears of each stage's items (none shown when None)."""
    console = console or Console()
    started = time.perf_counter()
    register_secrets(cfg)
    url = cfg.store_url(db)
    address = ray or cfg.ray
    ray_module = None
    if address:
        from toolforge.pipeline.cluster.connect import connect, require_shared_store

        require_shared_store(url)
        ray_module = connect(address)
    with RunLock(url, cfg.name):
        store = Store(url)
        previous = store.get_run(run_id_of(cfg))
        try:
            run = _Run(cfg, store, console, progress or Quiet(), previous)
            result = await run.go(started, allow_changes, ray_module)
            rate = cfg.max_failure_rate if max_failure_rate is None else max_failure_rate
            result.outcome.problems = judge_outcome(
                _stage_counts(result), result.export.stats["exported"], rate
            )
            return result
        except InputsChanged:
            if previous is not None:
                store.save_run(previous)  # untouched: the finished run stays as it was
            raise
        except (KeyboardInterrupt, asyncio.CancelledError):
            _set_status(store, run_id_of(cfg), "interrupted", None)
            raise
        except BaseException as exc:
            _set_status(store, run_id_of(cfg), "failed", secrets.scrub(f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            store.close()


def _set_status(store: Store, run_id: str, status: str, error: str | None) -> None:
    run = store.get_run(run_id)
    if run is None or run.status != "running":
        return
    run.status = status
    run.stats = {**(run.stats or {}), "status": status, **({"error": error} if error else {})}
    store.save_run(run)


def _stage_counts(result: PipelineResult) -> dict[str, tuple[int, int]]:
    return {
        r.name: (r.total, r.failed)
        for r in result.reports
        if r.name in ("agents", "tasks", "rollouts", "judges")
    }


STAGE_NAMES = ("tools", "agents", "tasks", "rollouts", "judges")


class _Run:
    """One pipeline run, as named steps: open the run, the tools, the agents and tasks, the
    sampling (tool episodes, then code tasks), then statistics, export and the stored run."""

    def __init__(
        self,
        cfg: PipelineConfig,
        store: Store,
        console: Console,
        progress: StageProgress,
        previous: RunRow | None,
    ) -> None:
        self.cfg, self.store, self.console, self.progress = cfg, store, console, progress
        self.previous = previous
        self.run_id = run_id_of(cfg)
        self.keys = stage_keys(cfg)
        self.reports = {name: StageReport(name) for name in STAGE_NAMES}
        self.nodes = NodeStats()
        # filled by the steps, in order
        self.known_failures: set[str] = set()
        self.notes: list[str] = []
        self.changes: list[str] = []
        self.inputs: dict[str, Any] = {}
        self.row = RunRow(id=self.run_id, kind="pipeline", config_fingerprint=self.keys["export"], config={})

    async def go(self, started: float, allow_changes: bool, ray: Any) -> PipelineResult:
        self.known_failures = failure_ids(self.store)
        self.open_run()
        async with AsyncExitStack() as stack:
            llm = await self.open_llm(stack)
            tools = await self.tools(allow_changes)
            code = stages.code_setup(self.cfg)
            if code is not None:
                stack.callback(code.backend.close)
            agents, tasks, cluster = await self.agents_and_tasks(stack, tools, llm, ray)
            judge = await self.judge(stack, tools, llm, code)
            judgements = stages.Judgements(self.cfg.sampling.attempts)
            await self.sampling(tasks, agents, tools, judge, cluster, judgements)
            del tasks  # ids only, but a large run's many: the sampling was their last reader
            if code is not None:
                code_agents, _ = await stages.stage_code(
                    self.store, self.cfg, code, self.sampling_options(judge, None), judgements
                )
                agents, tools = [*agents, *code_agents], [*tools, *TOOL_SPECS]
        stats = judgements.stats()
        # (trajectory id, verdict id) of every judged attempt: the export reads the bodies back
        # from the store in batches, so a large run never holds them all.
        judged = judgements.judged
        batches = record_batches(self.store, judged, {a.id: a for a in agents}, {t.id: t for t in tools})
        exported, reports = self.export(batches, stats, judge)
        self.store_finished(sorted(t for t, _ in judged), stats, judge, reports)
        return PipelineResult(
            run_id=self.run_id,
            fingerprint=self.keys["export"],
            resumed=self.notes,
            reports=reports,
            sampling=stats,
            export=exported,
            seconds=round(time.perf_counter() - started, 2),
            changes=self.changes,
            outcome=Outcome(groups=failure_groups(self.store, self.known_failures, judgements.infra)),
            nodes=self.nodes,
        )

    def open_run(self) -> None:
        """Say how this run stands to the last one, and store it as running."""
        self.notes, self.changes = resume_notes(self.previous, self.cfg, self.keys)
        for line in self.notes:
            self.console.print(line)
        self.row.config = config_dict(self.cfg)
        self.row.status = "running"
        self.row.stats = {"stage_keys": self.keys, "status": "running"}
        self.store.save_run(self.row)

    async def open_llm(self, stack: AsyncExitStack) -> LLMClient | None:
        cfg = self.cfg
        if cfg.models.synthesizer or cfg.models.task_writer or cfg.judges.rubric.enabled:
            return await stack.enter_async_context(
                LLMClient(self.store, run_id=self.run_id, budget=cfg.budget)
            )
        return None

    def stage_done(self, name: str, t0: tuple[float, float]) -> None:
        report = self.reports[name]
        report.seconds, report.cpu_seconds = since(t0)
        self.progress.finish(name, report.total)

    async def tools(self, allow_changes: bool) -> list[ToolSpec]:
        """The run's tool library; a finished run whose inputs lost tools stops here."""
        t0 = clock()
        self.progress.start("tools")
        failed_servers: dict[str, str] = {}
        tools = await stages.stage_tools(self.store, self.cfg, self.reports["tools"], failed_servers)
        self.stage_done("tools", t0)
        lost = input_changes(self.previous, tools, failed_servers)
        if lost and not allow_changes:
            raise InputsChanged(
                f"run {self.cfg.name!r} finished before, and its tool inputs changed since:\n  "
                + "\n  ".join(lost)
                + "\ngoing on would shrink or reshape the finished run, so nothing was changed (the "
                f"dataset in {self.cfg.dataset_dir()} is as it was). Bring the input back and run again, or "
                "pass --allow-changes to regenerate from what is available now."
            )
        for line in lost:
            self.console.print(f"[yellow]input changed (allowed):[/] {line}")
        self.inputs = {
            "origins": dict(Counter(t.origin for t in tools)),
            "tool_ids": sorted({t.id for t in tools}),
        }
        return tools

    async def agents_and_tasks(
        self, stack: AsyncExitStack, tools: list[ToolSpec], llm: Any, ray: Any
    ) -> tuple[list[Agent], stages.TaskSet, ClusterRun | None]:
        """The agents, then their tasks (written on the cluster's nodes in a Ray run)."""
        if not tools:
            return [], stages.TaskSet.held([]), None
        store, cfg, reports = self.store, self.cfg, self.reports
        t0 = clock()
        self.progress.start("agents")
        agents = await stages.stage_agents(store, cfg, tools, llm, reports["agents"])
        self.stage_done("agents", t0)

        t0 = clock()
        self.progress.start("tasks")
        cluster: ClusterRun | None = None
        before: set[str] = set()  # the tasks stored before the cluster writes its own
        if ray is not None and agents:
            cluster = await open_cluster(
                ray, store, cfg, agents, tools, [], self.run_id, reports, self.progress, self.nodes
            )
            stack.push_async_callback(cluster.nodes.close)
            self.console.print(
                f"cluster: {len(cluster.nodes.actors)} node(s) opened their runtime in {self.nodes.open_s:.1f}s"
            )
            before = store.ids(Task)
            await cluster.write_tasks(agents, self.keys["tasks"])
        tasks = await stages.stage_tasks(store, cfg, agents, tools, llm, reports["tasks"])
        if cluster is not None:  # written on the nodes: what was stored before this run is "done"
            reports["tasks"].done_before = len(set(tasks.ids) & before)
            reports["tasks"].new = reports["tasks"].total - reports["tasks"].done_before
        self.stage_done("tasks", t0)
        return agents, tasks, cluster

    async def judge(
        self, stack: AsyncExitStack, tools: list[ToolSpec], llm: Any, code: stages.CodeSetup | None
    ) -> Judge:
        worlds = stages.world_servers_of(self.cfg)
        replay_pool = await stack.enter_async_context(MCPPool(worlds)) if worlds else None
        grader = code.grader if code is not None else None
        return stages.make_judge(self.cfg, self.store, tools, llm, replay_pool, grader, self.run_id)

    def sampling_options(self, judge: Judge, cluster: ClusterRun | None) -> stages.SamplingOptions:
        reports = RoundReports(self.reports["rollouts"], self.reports["judges"], self.progress)
        return stages.SamplingOptions(
            judge, self.run_id, reports, cluster.round if cluster is not None else None
        )

    async def sampling(
        self,
        tasks: stages.TaskSet,
        agents: list[Agent],
        tools: list[ToolSpec],
        judge: Judge,
        cluster: ClusterRun | None,
        judgements: stages.Judgements,
    ) -> None:
        self.progress.start("rollouts")
        self.progress.start("judges")
        if not tasks.ids:
            return
        options = self.sampling_options(judge, cluster)
        await stages.stage_sampling(self.store, self.cfg, tasks, agents, tools, options, judgements)

    def export(
        self, batches: Iterator[list[ExportRecord]], stats: SamplingStats, judge: Judge
    ) -> tuple[ExportResult, list[StageReport]]:
        """The dataset written from the judged attempts; every stage's report, selection and export
        included."""
        cfg = self.cfg
        t0 = clock()
        exported = export_batches(
            batches,
            cfg.dataset_dir(),
            cfg.export,
            self.provenance(judge),
            sampling=stats.model_dump(mode="json"),
        )
        seconds, cpu_seconds = since(t0)
        export_report = StageReport(
            "export",
            total=exported.stats["exported"],
            new=exported.stats["exported"],
            seconds=seconds,
            cpu_seconds=cpu_seconds,
        )
        selection = StageReport(
            "selection",
            total=stats.attempts,
            new=stats.accepted,
            note=f"{stats.accepted} accepted of {stats.attempts}",
        )
        return exported, [*self.reports.values(), selection, export_report]

    def provenance(self, judge: Judge) -> dict[str, Any]:
        cfg = self.cfg
        return {
            "pipeline": cfg.name,
            "fingerprint": self.keys["export"],
            "judge_key": judge.key,
            "run_key": stages.rollout_config(cfg).run_key(),
            "models": {role: m.model for role, m in cfg.models if m is not None},
            "sampling": {
                "attempts": cfg.sampling.attempts,
                "stop_after_accepted": cfg.sampling.stop_after_accepted,
            },
        }

    def store_finished(
        self, trajectory_ids: list[str], stats: SamplingStats, judge: Judge, reports: list[StageReport]
    ) -> None:
        nodes = self.nodes
        self.row.status = "finished"
        self.row.stats = {
            "stage_keys": self.keys,
            "status": "finished",
            "inputs": self.inputs,
            "trajectory_ids": trajectory_ids,
            "run_key": stages.rollout_config(self.cfg).run_key(),
            "judge_key": judge.key,
            "stages": {r.name: r.__dict__ for r in reports},
            "sampling": stats.model_dump(mode="json"),
            "dataset": str(self.cfg.dataset_dir()),
            **({"nodes": nodes.by_node, "lost_nodes": nodes.lost} if nodes.by_node else {}),
        }
        self.store.save_run(self.row)


def dataset_files(result: PipelineResult) -> list[Path]:
    return [result.export.card, *result.export.files.values()]


# Cheap stages redone on every run from what is stored: nothing of theirs is "already done".
RECOMPUTED = ("selection", "export")


def summary_rows(result: PipelineResult) -> list[list[Any]]:
    return [
        [
            r.name,
            r.total,
            "-" if r.name in RECOMPUTED else r.done_before,
            r.new,
            r.failed,
            f"{r.seconds:.1f}s",
            r.note,
        ]
        for r in result.reports
    ]
