"""The stages of one pipeline run. Each reads what earlier stages stored and stores what it
makes, keyed by deterministic ids, so a re-run finds its work done and does only the rest."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from environments.agents import generate_agents
from environments.blueprints import replay_blueprint
from environments.config import RolloutConfig
from environments.runner import play, trajectory_id
from environments.runtime import open_runtime
from environments.tasks import generate_tasks
from environments.toolkit import load_toolkit
from judges import AttemptOutcome, Judge
from toolforge.core.errors import ConfigError
from toolforge.core.store import Store
from toolforge.core.types import Agent, Task, ToolSpec, Trajectory, Verdict
from toolforge.export import ExportRecord
from toolforge.pipeline.config import PipelineConfig
from toolforge.tools.catalog import detect_format, read_mcp_jsonl, read_openai
from toolforge.tools.harvest import harvest
from toolforge.tools.library import admit, load_tools
from toolforge.tools.servers import load_servers

Tick = Callable[[int], None]


@dataclass
class StageReport:
    name: str
    total: int = 0
    done_before: int = 0
    new: int = 0
    failed: int = 0
    seconds: float = 0.0
    note: str = ""


@dataclass
class Attempts:
    """Every judged attempt of the run, by task, in attempt order."""

    by_task: dict[str, list[tuple[Trajectory, Verdict]]] = field(default_factory=dict)

    def accepted(self, task_id: str) -> int:
        return sum(v.accepted for _, v in self.by_task.get(task_id, []))

    def made(self, task_id: str) -> int:
        return len(self.by_task.get(task_id, []))


def toolkit_refs(cfg: PipelineConfig) -> list[str]:
    """The toolkits the config names, with file paths taken from the config's folder."""
    refs = []
    for ref in cfg.tools.toolkits:
        target, _, name = ref.rpartition(":")
        if target.endswith(".py"):
            ref = f"{cfg.input_path(target)}:{name}"
        refs.append(ref)
    return refs


async def stage_tools(store: Store, cfg: PipelineConfig, report: StageReport) -> list[ToolSpec]:
    """Harvest the servers, import the catalogs, add the toolkits' tools; the run's library."""
    before = store.ids(ToolSpec)
    origins: set[str] = set()
    notes = []
    if cfg.tools.servers is not None:
        servers = load_servers(cfg.input_path(cfg.tools.servers))
        reports = await harvest(
            store, servers, start_timeout_s=cfg.tools.start_timeout_s, list_timeout_s=cfg.tools.list_timeout_s
        )
        for server in reports:
            if server.ok:
                origins.add(server.server)
            else:
                report.failed += 1
                notes.append(f"server {server.server} failed: {server.error}")
    for catalog in cfg.tools.catalogs:
        path = cfg.input_path(catalog)
        if not path.exists():
            raise ConfigError(f"tools.catalogs: {path} does not exist")
        reader = read_mcp_jsonl if detect_format(path) == "mcp" else read_openai
        parsed = [item for _, item in reader(path)]
        bad = [item for item in parsed if isinstance(item, str)]
        good = [item for item in parsed if not isinstance(item, str)]
        report.failed += len(bad)
        admit(store, good)
        origins.update(t.origin for t in good)
    toolkit_tools: list[ToolSpec] = []
    for ref in toolkit_refs(cfg):
        toolkit_tools += load_toolkit(ref).specs()
    if toolkit_tools:
        store.put(toolkit_tools)
    library = {t.id: t for t in load_tools(store) if t.origin in origins}
    library.update({t.id: t for t in toolkit_tools})
    tools = sorted(library.values(), key=lambda t: t.id)
    if not tools:
        raise ConfigError("the run has no tools: set tools.servers, tools.catalogs or tools.toolkits")
    report.total = len(tools)
    report.done_before = len({t.id for t in tools} & before)
    report.new = report.total - report.done_before
    report.note = "; ".join(notes)
    return tools


async def stage_agents(
    store: Store, cfg: PipelineConfig, tools: list[ToolSpec], llm: Any, report: StageReport
) -> list[Agent]:
    before = store.ids(Agent)
    agents = await generate_agents(store, tools, cfg.agents, llm=llm, synthesizer_cfg=cfg.models.synthesizer)
    report.total = len(agents)
    report.done_before = len({a.id for a in agents} & before)
    report.new = report.total - report.done_before
    report.failed = sum("prompt_error" in a.metadata for a in agents)
    return agents


async def stage_tasks(
    store: Store,
    cfg: PipelineConfig,
    agents: list[Agent],
    tools: list[ToolSpec],
    llm: Any,
    report: StageReport,
) -> list[Task]:
    before = store.ids(Task)
    task_cfg = cfg.tasks.model_copy(update={"toolkits": toolkit_refs(cfg)})
    tasks = await generate_tasks(store, agents, tools, task_cfg, llm=llm, writer_cfg=cfg.models.task_writer)
    tasks = sorted(tasks, key=lambda t: t.id)
    wanted = len(agents) * len(cfg.tasks.difficulties) * cfg.tasks.per_difficulty
    report.total = len(tasks)
    report.done_before = len({t.id for t in tasks} & before)
    report.new = report.total - report.done_before
    report.failed = wanted - len(tasks)
    if report.failed:
        report.note = f"{report.failed} task(s) without a runnable chain (stored as failures)"
    return tasks


def rollout_config(cfg: PipelineConfig) -> RolloutConfig:
    """The episode config: toolkits from the tools section, models named from the roles."""
    models = {
        role: llm.model
        for role in ("agent", "user", "tool_simulator")
        if (llm := getattr(cfg.models, role)) is not None
    }
    return cfg.rollouts.model_copy(update={"toolkits": toolkit_refs(cfg), "models": models})


def make_replay(tools: list[ToolSpec], cfg: PipelineConfig) -> Callable[[Task], dict[str, Any]]:
    toolkits = [load_toolkit(ref) for ref in toolkit_refs(cfg)]
    cache: dict[str, dict[str, Any]] = {}

    def replay(task: Task) -> dict[str, Any]:
        if task.id not in cache:
            cache[task.id] = replay_blueprint(task, tools, toolkits).end_state
        return cache[task.id]

    return replay


async def stage_sampling(
    store: Store,
    cfg: PipelineConfig,
    tasks: list[Task],
    agents: list[Agent],
    tools: list[ToolSpec],
    judge: Judge,
    run_id: str,
    rollouts: StageReport,
    judged: StageReport,
    tick_rollout: Tick,
    tick_judge: Tick,
    grow: Callable[[int], None],
) -> Attempts:
    """Rejection sampling in rounds: round r plays attempt r of every task that still needs one,
    then judges it. A task leaves once it has `stop_after_accepted` accepted attempts."""
    rcfg = rollout_config(cfg)
    run_key = rcfg.run_key()
    k, n = cfg.sampling.attempts, cfg.sampling.stop_after_accepted
    attempts = Attempts()
    stored_trajs = store.ids(Trajectory, run_key=run_key)
    stored_verdicts = store.ids(Verdict, judge_key=judge.key)
    gate = asyncio.Semaphore(cfg.models.judge.concurrency if cfg.models.judge is not None else 8)

    async def judge_one(task: Task, attempt: int) -> None:
        traj = await asyncio.to_thread(store.get, Trajectory, trajectory_id(task.id, attempt, run_key))
        if traj is None:
            raise RuntimeError(f"attempt {attempt} of task {task.id} was played but not stored")
        verdict_id = Verdict(
            trajectory_id=traj.id, checks=[], score=0, accepted=False, judge_key=judge.key
        ).id
        verdict = (
            await asyncio.to_thread(store.get, Verdict, verdict_id) if verdict_id in stored_verdicts else None
        )
        if verdict is None or verdict.error is not None:  # a judge that failed before is tried again
            async with gate:
                verdict = await judge.judge(traj, task)
            await asyncio.to_thread(store.put, [verdict])
            judged.new += 1
            judged.failed += verdict.error is not None
        else:
            judged.done_before += 1
        attempts.by_task.setdefault(task.id, []).append((traj, verdict))
        tick_judge(1)

    async with open_runtime(store, rcfg, cfg.models, cfg.budget, run_id) as runtime:
        for r in range(k):
            pending = [t for t in tasks if attempts.made(t.id) == r and attempts.accepted(t.id) < n]
            if not pending:
                break
            grow(len(pending))
            ids = {trajectory_id(t.id, r, run_key) for t in pending}
            rollouts.done_before += len(ids & stored_trajs)
            tick_rollout(len(ids & stored_trajs))
            t0 = time.perf_counter()
            summary = await play(
                store,
                pending,
                agents,
                tools,
                runtime,
                rcfg,
                attempts=r + 1,
                on_done=lambda _t: tick_rollout(1),
            )
            rollouts.new += summary.ran
            rollouts.failed += summary.end_reasons.get("infra_error", 0)
            t1 = time.perf_counter()
            await asyncio.gather(*(judge_one(t, r) for t in pending))
            rollouts.seconds += round(t1 - t0, 2)
            judged.seconds += round(time.perf_counter() - t1, 2)
    rollouts.total = rollouts.done_before + rollouts.new
    judged.total = judged.done_before + judged.new
    return attempts


def outcomes(attempts: Attempts, tasks: list[Task]) -> list[AttemptOutcome]:
    by_id = {t.id: t for t in tasks}
    return [
        AttemptOutcome.of(task_id, traj.attempt, verdict, by_id[task_id].domain, by_id[task_id].difficulty)
        for task_id, pairs in attempts.by_task.items()
        for traj, verdict in pairs
    ]


def records_of(
    attempts: Attempts, tasks: list[Task], agents: list[Agent], tools: list[ToolSpec]
) -> list[ExportRecord]:
    tasks_by_id = {t.id: t for t in tasks}
    agents_by_id = {a.id: a for a in agents}
    source = {t.id: t.source for t in tools}
    records = []
    for task_id, pairs in attempts.by_task.items():
        for traj, verdict in pairs:
            agent = agents_by_id.get(traj.agent_id)
            sources = sorted({source[i] for i in agent.tool_ids if i in source}) if agent else []
            records.append(
                ExportRecord(
                    trajectory=traj,
                    verdict=verdict,
                    task=tasks_by_id[task_id],
                    agent=agent,
                    tool_sources=tuple(sources),
                )
            )
    return sorted(records, key=lambda r: r.id)
