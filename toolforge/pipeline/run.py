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
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from environments.code_task_episode import TOOL_SPECS
from environments.executors.mcp_pool import MCPPool
from judges import SamplingStats, sampling_stats
from toolforge.core import secrets
from toolforge.core.errors import ToolforgeError
from toolforge.core.llm import LLMClient
from toolforge.core.store import RunRow, Store
from toolforge.core.types import Agent, Task
from toolforge.export import ExportResult, export_records
from toolforge.pipeline import stages
from toolforge.pipeline.cluster.stats import ClusterRun, NodeStats, open_cluster
from toolforge.pipeline.config import PipelineConfig
from toolforge.pipeline.fingerprint import changed_keys, changed_stages, config_dict, semantic, stage_keys
from toolforge.pipeline.outcome import Outcome, failure_groups, failure_ids, judge_outcome
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
    progress: bool = True,
    allow_changes: bool = False,
    max_failure_rate: float | None = None,
    db: str | None = None,
    ray: str | None = None,
) -> PipelineResult:
    """`db` is the `--db` flag: it wins over `TOOLFORGE_DB` and the config (`cfg.store_url`).
    `ray` (or the config's `ray`) names a Ray cluster: checked, with the store, before any work."""
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
    with RunLock(cfg.workspace_dir() / f".{cfg.name}.lock", cfg.name):
        store = Store(url)
        previous = store.get_run(run_id_of(cfg))
        try:
            result = await _run(cfg, store, console, progress, started, previous, allow_changes, ray_module)
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


async def _run(
    cfg: PipelineConfig,
    store: Store,
    console: Console,
    show: bool,
    started: float,
    previous: RunRow | None,
    allow_changes: bool,
    ray: Any = None,
) -> PipelineResult:
    keys = stage_keys(cfg)
    run_id = run_id_of(cfg)
    known_failures = failure_ids(store)
    notes, changes = resume_notes(previous, cfg, keys)
    for line in notes:
        console.print(line)
    run = RunRow(
        id=run_id,
        kind="pipeline",
        config_fingerprint=keys["export"],
        config=config_dict(cfg),
        status="running",
        stats={"stage_keys": keys, "status": "running"},
    )
    store.save_run(run)

    reports = {name: StageReport(name) for name in ("tools", "agents", "tasks", "rollouts", "judges")}
    nodes = NodeStats()
    progress = Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not show,
        transient=False,
    )
    bars = {name: progress.add_task(name, total=None, start=False) for name in reports}

    def finish(name: str, t0: float) -> None:
        report = reports[name]
        report.seconds = round(time.perf_counter() - t0, 2)
        progress.update(bars[name], total=max(report.total, 1), completed=max(report.total, 1))

    async with AsyncExitStack() as stack:
        stack.enter_context(progress)
        llm = None
        if cfg.models.synthesizer or cfg.models.task_writer or cfg.judges.rubric.enabled:
            llm = await stack.enter_async_context(LLMClient(store, run_id=run_id, budget=cfg.budget))

        t0 = time.perf_counter()
        progress.start_task(bars["tools"])
        failed_servers: dict[str, str] = {}
        tools = await stages.stage_tools(store, cfg, reports["tools"], failed_servers)
        finish("tools", t0)
        lost = input_changes(previous, tools, failed_servers)
        if lost and not allow_changes:
            raise InputsChanged(
                f"run {cfg.name!r} finished before, and its tool inputs changed since:\n  "
                + "\n  ".join(lost)
                + "\ngoing on would shrink or reshape the finished run, so nothing was changed (the "
                f"dataset in {cfg.dataset_dir()} is as it was). Bring the input back and run again, or "
                "pass --allow-changes to regenerate from what is available now."
            )
        for line in lost:
            console.print(f"[yellow]input changed (allowed):[/] {line}")
        inputs = {
            "origins": dict(Counter(t.origin for t in tools)),
            "tool_ids": sorted({t.id for t in tools}),
        }

        code = stages.code_setup(cfg)
        if code is not None:
            stack.callback(code.backend.close)
        agents: list[Agent] = []
        tasks: list[Task] = []
        cluster: ClusterRun | None = None
        if tools:
            t0 = time.perf_counter()
            progress.start_task(bars["agents"])
            agents = await stages.stage_agents(store, cfg, tools, llm, reports["agents"])
            finish("agents", t0)

            t0 = time.perf_counter()
            progress.start_task(bars["tasks"])
            before: set[str] = set()  # the tasks stored before the cluster writes its own
            if ray is not None and agents:
                cluster = await open_cluster(ray, store, cfg, agents, tools, [], run_id, reports, {}, nodes)
                stack.push_async_callback(cluster.nodes.close)
                console.print(
                    f"cluster: {len(cluster.nodes.actors)} node(s) opened their runtime in {nodes.open_s:.1f}s"
                )
                before = store.ids(Task)
                await cluster.write_tasks(agents, keys["tasks"])
            tasks = await stages.stage_tasks(store, cfg, agents, tools, llm, reports["tasks"])
            if cluster is not None:  # written on the nodes: what was stored before this run is "done"
                reports["tasks"].done_before = len({t.id for t in tasks} & before)
                reports["tasks"].new = reports["tasks"].total - reports["tasks"].done_before
                await cluster.set_tasks(tasks)
            finish("tasks", t0)

        worlds = stages.world_servers_of(cfg)
        replay_pool = await stack.enter_async_context(MCPPool(worlds)) if worlds else None
        judge = stages.make_judge(
            cfg, store, tools, llm, replay_pool, code.grader if code is not None else None, run_id
        )
        progress.start_task(bars["rollouts"])
        progress.start_task(bars["judges"])
        totals = {"n": 0}

        def grow(count: int) -> None:
            totals["n"] += count
            progress.update(bars["rollouts"], total=totals["n"])
            progress.update(bars["judges"], total=totals["n"])

        ticks = {
            "tick_rollout": lambda c: progress.advance(bars["rollouts"], c),
            "tick_judge": lambda c: progress.advance(bars["judges"], c),
            "grow": grow,
        }
        attempts = stages.Attempts()
        if cluster is not None:
            cluster.ticks = ticks
        if tasks:
            attempts = await stages.stage_sampling(
                store,
                cfg,
                tasks,
                agents,
                tools,
                judge,
                run_id,
                reports["rollouts"],
                reports["judges"],
                **ticks,
                cluster=cluster.round if cluster is not None else None,
            )
        if code is not None:
            code_agents, code_tasks = await stages.stage_code(
                store, cfg, code, judge, run_id, attempts, reports["rollouts"], reports["judges"], **ticks
            )
            agents, tasks, tools = [*agents, *code_agents], [*tasks, *code_tasks], [*tools, *TOOL_SPECS]

    stats = sampling_stats(stages.outcomes(attempts, tasks), k=cfg.sampling.attempts)
    records = stages.records_of(attempts, tasks, agents, tools)
    t0 = time.perf_counter()
    provenance = {
        "pipeline": cfg.name,
        "fingerprint": keys["export"],
        "judge_key": judge.key,
        "run_key": stages.rollout_config(cfg).run_key(),
        "models": {role: m.model for role, m in cfg.models if m is not None},
        "sampling": {
            "attempts": cfg.sampling.attempts,
            "stop_after_accepted": cfg.sampling.stop_after_accepted,
        },
    }
    exported = export_records(
        records, cfg.dataset_dir(), cfg.export, provenance, sampling=stats.model_dump(mode="json")
    )
    export_report = StageReport(
        "export",
        total=exported.stats["exported"],
        new=exported.stats["exported"],
        seconds=round(time.perf_counter() - t0, 2),
    )
    selection = StageReport(
        "selection",
        total=stats.attempts,
        new=stats.accepted,
        note=f"{stats.accepted} accepted of {stats.attempts}",
    )
    all_reports = [*reports.values(), selection, export_report]
    infra = [
        ("rollouts", traj.error or "infra_error")
        for pairs in attempts.by_task.values()
        for traj, _ in pairs
        if traj.end_reason == "infra_error"
    ]
    groups = failure_groups(store, known_failures, infra)
    run.status = "finished"
    run.stats = {
        "stage_keys": keys,
        "status": "finished",
        "inputs": inputs,
        "trajectory_ids": [r.trajectory.id for r in records],
        "run_key": provenance["run_key"],
        "judge_key": judge.key,
        "stages": {r.name: r.__dict__ for r in all_reports},
        "sampling": stats.model_dump(mode="json"),
        "dataset": str(cfg.dataset_dir()),
        **({"nodes": nodes.by_node, "lost_nodes": nodes.lost} if nodes.by_node else {}),
    }
    store.save_run(run)
    return PipelineResult(
        run_id=run_id,
        fingerprint=keys["export"],
        resumed=notes,
        reports=all_reports,
        sampling=stats,
        export=exported,
        seconds=round(time.perf_counter() - started, 2),
        changes=changes,
        outcome=Outcome(groups=groups),
        nodes=nodes,
    )


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
