"""The stages of one pipeline run. Each reads what earlier stages stored and stores what it
makes, keyed by deterministic ids, so a re-run finds its work done and does only the rest."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from environments.agents import generate_agents
from environments.blueprints import replay_blueprint
from environments.code_task_episode import TOOL_SPECS, PatchPolicy, code_task_records, run_code_task
from environments.code_task_episode import run_key as code_run_key
from environments.config import MCPServerConfig, RolloutConfig
from environments.executors.mcp_pool import MCPPool
from environments.policies import LLMPolicy, Policy
from environments.runner import play, trajectory_id
from environments.runtime import open_runtime
from environments.tasks import generate_tasks
from environments.toolkit import load_toolkit
from environments.worlds import world_servers
from judges import AttemptOutcome, Judge
from judges.tests_check import SandboxGrader
from sandbox import Backend, CodeTask, SandboxSpec, load_tasks, make_backend
from toolforge.core.errors import ConfigError
from toolforge.core.ids import digest
from toolforge.core.llm import LLMClient
from toolforge.core.store import Store
from toolforge.core.types import Agent, Task, ToolSpec, Trajectory, Verdict
from toolforge.export import ExportRecord
from toolforge.pipeline.config import PipelineConfig
from toolforge.tools.catalog import detect_format, read_mcp_jsonl, read_openai
from toolforge.tools.harvest import harvest
from toolforge.tools.library import admit, load_tools
from toolforge.tools.servers import load_servers

Tick = Callable[[int], None]
# One round on a cluster: (pending tasks, attempt, run key, judge key) -> what was stored for them.
ClusterRound = Callable[[list[Task], int, str, str], Awaitable[list[tuple[Task, Trajectory, Verdict]]]]


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


async def stage_tools(
    store: Store, cfg: PipelineConfig, report: StageReport, failed_servers: dict[str, str] | None = None
) -> list[ToolSpec]:
    """Harvest the servers, import the catalogs, add the toolkits' tools; the run's library.
    `failed_servers` is filled with each server that failed and its error."""
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
                if failed_servers is not None:
                    failed_servers[server.server] = f"server failed: {server.error}"
    for catalog in cfg.tools.catalogs:
        path = cfg.input_path(catalog)
        if not path.exists():
            raise ConfigError(f"tools.catalogs: {path} does not exist")
        reader = read_mcp_jsonl if detect_format(path) == "mcp" else read_openai
        parsed = [item for _, item in reader(path)]
        bad = [item for item in parsed if isinstance(item, str)]
        good = [item for item in parsed if not isinstance(item, str)]
        for reason in bad:  # a line that is not a tool is a stored failure, never a silent drop
            store.record_failure("tools.import", str(path), reason)
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
    if not tools and not cfg.code_tasks.paths:
        raise ConfigError(
            "the run has no tools: set tools.servers, tools.catalogs or tools.toolkits (or code_tasks.paths)"
        )
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
    task_cfg = cfg.tasks.model_copy(
        update={"toolkits": toolkit_refs(cfg), "mcp_servers": world_servers_of(cfg)}
    )
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


def world_servers_of(cfg: PipelineConfig) -> dict[str, MCPServerConfig]:
    """The real servers episodes run on: `rollouts.mcp_servers` when set, else the harvested
    servers that declare a `world` (each episode on a fresh, seeded copy)."""
    if cfg.rollouts.mcp_servers or cfg.tools.servers is None:
        return dict(cfg.rollouts.mcp_servers)
    return world_servers(load_servers(cfg.input_path(cfg.tools.servers)))


def rollout_config(cfg: PipelineConfig) -> RolloutConfig:
    """The episode config: toolkits from the tools section, worlds from the servers, models named
    from the roles."""
    models = {
        role: llm.model
        for role in ("agent", "user", "tool_simulator")
        if (llm := getattr(cfg.models, role)) is not None
    }
    return cfg.rollouts.model_copy(
        update={"toolkits": toolkit_refs(cfg), "models": models, "mcp_servers": world_servers_of(cfg)}
    )


def make_replay(
    tools: list[ToolSpec], cfg: PipelineConfig, pool: MCPPool | None = None
) -> Callable[[Task], Awaitable[dict[str, Any]]]:
    """The state check's reference: the task's blueprint replayed on a fresh copy of its world
    (real servers through `pool`, one per run), once per task."""
    toolkits = [load_toolkit(ref) for ref in toolkit_refs(cfg)]
    cache: dict[str, dict[str, Any]] = {}

    async def replay(task: Task) -> dict[str, Any]:
        if task.id not in cache:
            cache[task.id] = (await replay_blueprint(task, tools, toolkits, pool)).end_state
        return cache[task.id]

    return replay


def make_judge(
    cfg: PipelineConfig,
    store: Store,
    tools: list[ToolSpec],
    llm: Any,
    replay_pool: MCPPool | None,
    grader: SandboxGrader | None,
    run_id: str,
) -> Judge:
    """The run's judge; the driver and every cluster node build it the same way (same key)."""
    return Judge(
        cfg.judges,
        replay=make_replay(tools, cfg, replay_pool),
        grader=grader,
        llm=llm if cfg.judges.rubric.enabled else None,
        llm_cfg=cfg.models.judge,
        judge_model=cfg.models.judge.model if cfg.models.judge is not None else "",
        store=store,
        run_id=run_id,
    )


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
    cluster: ClusterRound | None = None,
) -> Attempts:
    """Rejection sampling in rounds: round r plays attempt r of every task that still needs one,
    then judges it. A task leaves once it has `stop_after_accepted` accepted attempts.

    With `cluster` (a Ray run), each round's episodes and judgements run on the cluster's nodes
    (`toolforge.pipeline.cluster`); this process only hands out the work and reads it back."""
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
        verdict = await ensure_verdict(store, judge, traj, task, stored_verdicts, gate, judged)
        attempts.by_task.setdefault(task.id, []).append((traj, verdict))
        tick_judge(1)

    if cluster is not None:
        for r in range(k):
            pending = [t for t in tasks if attempts.made(t.id) == r and attempts.accepted(t.id) < n]
            if not pending:
                break
            grow(len(pending))
            rollouts.done_before += len({trajectory_id(t.id, r, run_key) for t in pending} & stored_trajs)
            t0 = time.perf_counter()
            for task, traj, verdict in await cluster(pending, r, run_key, judge.key):
                attempts.by_task.setdefault(task.id, []).append((traj, verdict))
            rollouts.seconds += round(time.perf_counter() - t0, 2)
        rollouts.total = rollouts.done_before + rollouts.new
        judged.total = judged.done_before + judged.new
        judged.note = "judged on the cluster's nodes, with the episodes (time under rollouts)"
        return attempts
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


async def ensure_verdict(
    store: Store,
    judge: Judge,
    traj: Trajectory,
    task: Task,
    stored: set[str],
    gate: asyncio.Semaphore,
    report: StageReport,
) -> Verdict:
    """The stored verdict of `traj` under this judge, or a new one (stored before it is returned)."""
    verdict_id = Verdict(trajectory_id=traj.id, checks=[], score=0, accepted=False, judge_key=judge.key).id
    verdict = await asyncio.to_thread(store.get, Verdict, verdict_id) if verdict_id in stored else None
    if verdict is not None and verdict.error is None:
        report.done_before += 1
        return verdict
    async with gate:  # new, or its judge failed before: judged (again)
        verdict = await judge.judge(traj, task)
    await asyncio.to_thread(store.put, [verdict])
    report.new += 1
    # a check that is not required may fail without failing the verdict (it is in the summary)
    report.failed += verdict.error is not None and verdict.error.split(":", 1)[0] in judge.cfg.required
    return verdict


@dataclass
class CodeSetup:
    """The code tasks of a run, the sandbox backend they run on, and the grader of the tests check."""

    tasks: list[CodeTask]
    backend: Backend
    spec: SandboxSpec
    grader: SandboxGrader


def code_setup(cfg: PipelineConfig) -> CodeSetup | None:
    code = cfg.code_tasks
    if not code.paths:
        return None
    loaded = [t for path in code.paths for t in load_tasks(cfg.input_path(path))]
    if code.python is not None:
        loaded = [t.model_copy(update={"python": code.python}) for t in loaded]
    if code.policy == "gold":
        missing = [t.id for t in loaded if t.gold_patch is None]
        if missing:
            raise ConfigError(
                f"code_tasks.policy 'gold' needs a gold patch in every task; missing: {missing}"
            )
    elif cfg.models.agent is None:
        raise ConfigError("code_tasks.policy 'llm' needs a model: set models.agent (or use policy: gold)")
    backend = make_backend(code.backend)
    spec = SandboxSpec(image=code.image)
    return CodeSetup(loaded, backend, spec, SandboxGrader(backend, {t.id: t for t in loaded}, spec))


async def stage_code(
    store: Store,
    cfg: PipelineConfig,
    setup: CodeSetup,
    judge: Judge,
    run_id: str,
    attempts: Attempts,
    rollouts: StageReport,
    judged: StageReport,
    tick_rollout: Tick,
    tick_judge: Tick,
    grow: Callable[[int], None],
) -> tuple[list[Agent], list[Task]]:
    """Rejection sampling over the code tasks: each attempt played in a fresh sandbox, then judged
    (the tests check re-grades its patch). Returns the code agents and tasks."""
    code = cfg.code_tasks
    k, n = cfg.sampling.attempts, cfg.sampling.stop_after_accepted
    records = {t.id: code_task_records(t) for t in setup.tasks}
    await asyncio.to_thread(
        store.put, [*TOOL_SPECS, *(a for a, _ in records.values()), *(t for _, t in records.values())]
    )
    stored_verdicts = store.ids(Verdict, judge_key=judge.key)
    gate = asyncio.Semaphore(code.concurrency)
    judge_gate = asyncio.Semaphore(cfg.models.judge.concurrency if cfg.models.judge is not None else 8)
    agent = cfg.models.agent
    if code.policy == "llm" and agent is None:
        raise ConfigError("code_tasks.policy is llm but models.agent is not set: set models.agent")
    llm = LLMClient(store, run_id=run_id, budget=cfg.budget) if code.policy == "llm" else None
    models = {"agent": agent.model} if llm is not None and agent is not None else {}

    def policy_for(code_task: CodeTask) -> tuple[Policy, str]:
        if llm is not None and agent is not None:
            return LLMPolicy(llm, agent), ""
        patch = code_task.gold_patch or ""
        return PatchPolicy(patch), digest(patch)

    async def one(code_task: CodeTask, attempt: int) -> None:
        agent, task = records[code_task.id]
        policy, extra = policy_for(code_task)
        key = code_run_key(policy, code.limits, models, extra)
        traj = await asyncio.to_thread(store.get, Trajectory, trajectory_id(task.id, attempt, key))
        if traj is None:
            t0 = time.perf_counter()
            async with gate:
                episode = await run_code_task(
                    code_task,
                    policy,
                    setup.backend,
                    spec=setup.spec,
                    attempt=attempt,
                    limits=code.limits,
                    key=key,
                    models=models,
                )
            traj = episode.trajectory
            await asyncio.to_thread(store.put, [traj])
            rollouts.new += 1
            rollouts.failed += traj.end_reason == "infra_error"
            rollouts.seconds += round(time.perf_counter() - t0, 2)
        else:
            rollouts.done_before += 1
        tick_rollout(1)
        t0 = time.perf_counter()
        verdict = await ensure_verdict(store, judge, traj, task, stored_verdicts, judge_gate, judged)
        judged.seconds += round(time.perf_counter() - t0, 2)
        attempts.by_task.setdefault(task.id, []).append((traj, verdict))
        tick_judge(1)

    try:
        for r in range(k):
            pending = [
                t
                for t in setup.tasks
                if attempts.made(records[t.id][1].id) == r and attempts.accepted(records[t.id][1].id) < n
            ]
            if not pending:
                break
            grow(len(pending))
            await asyncio.gather(*(one(t, r) for t in pending))
    finally:
        if llm is not None:
            await llm.aclose()
    rollouts.total = rollouts.done_before + rollouts.new
    judged.total = judged.done_before + judged.new
    return [a for a, _ in records.values()], [t for _, t in records.values()]


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
