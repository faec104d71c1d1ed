"""The stages of one pipeline run. Each reads what earlier stages stored and stores what it
makes, keyed by deterministic ids, so a re-run finds its work done and does only the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from environments.episodes.code_task_episode import (
    TOOL_SPECS,
    CodeRunConfig,
    PatchPolicy,
    code_runtime,
    code_task_records,
)
from environments.episodes.config import MCPServerConfig, RolloutConfig
from environments.episodes.executors.mcp_pool import MCPPool
from environments.episodes.parallel import Players, open_players
from environments.episodes.policies import LLMPolicy, Policy
from environments.episodes.toolkit import load_toolkit
from environments.episodes.worlds import world_servers
from environments.tasking.agents import generate_agents
from environments.tasking.blueprints import replay_blueprint
from environments.tasking.tasks import AgentTasks, write_tasks
from judges import Judge
from judges.replay_cache import ReplayCache
from judges.sampling import rejection_sample
from judges.tests_check import SandboxGrader
from sandbox import Backend, CodeTask, SandboxSpec, load_tasks, make_backend
from toolforge.core.errors import ConfigError
from toolforge.core.llm import LLMClient
from toolforge.core.store import Store
from toolforge.core.types import Agent, Task, ToolSpec, Trajectory, Verdict
from toolforge.pipeline.attempts import Judged, RoundReports, StageReport, accepted, play_and_judge
from toolforge.pipeline.config import PipelineConfig
from toolforge.pipeline.judged import Judgements
from toolforge.tools.catalog import detect_format, read_mcp_jsonl, read_openai
from toolforge.tools.harvest import harvest
from toolforge.tools.library import admit, load_tools
from toolforge.tools.servers import load_servers

# One round on a cluster: (pending tasks, attempt, run key, judge key) -> what was stored for them.
ClusterRound = Callable[[list[Task], int, str, str], Awaitable[list[tuple[Task, Trajectory, Verdict]]]]

__all__ = ["Judgements", "StageReport"]  # with the stages, what the run reads of them

# Tasks sampled together: every round of one batch, then the next batch. Memory holds one batch's
# tasks, trajectories and verdicts, whatever the run's size; a round's episodes are in flight
# together, so a batch should stay well above `rollouts.max_in_flight`.
TASK_BATCH = 1000
# The state check's replayed end states kept (`judges.replay_cache`): above a batch, so every
# attempt at a task after its first finds its task's end state.
REPLAY_CACHE = 2 * TASK_BATCH


@dataclass
class TaskSet:
    """A run's tasks by id (each once, in sampling order); `load` gives the bodies of some of them,
    in the order asked: the pipeline's tasks are read from the store a batch at a time."""

    ids: list[str]
    load: Callable[[list[str]], list[Task]]

    @classmethod
    def stored(cls, store: Store, ids: list[str]) -> TaskSet:
        def load(batch: list[str]) -> list[Task]:
            found = store.get_many(Task, batch)
            missing = [i for i in batch if i not in found]
            if missing:
                raise RuntimeError(
                    f"{len(missing)} task(s) of the run are not in the store, e.g. {missing[0]}"
                )
            return [found[i] for i in batch]

        return cls(ids, load)

    @classmethod
    def held(cls, tasks: list[Task]) -> TaskSet:
        """Tasks already in memory (a run's code tasks, read from their files)."""
        by_id = {t.id: t for t in tasks}
        return cls(list(by_id), lambda batch: [by_id[i] for i in batch])


@dataclass
class SamplingOptions:
    """What both sampling stages (tool episodes, code tasks) are given: the run's judge and id,
    the reports they fill and the progress they tell; `cluster` for a Ray run's rounds."""

    judge: Judge
    run_id: str
    reports: RoundReports
    cluster: ClusterRound | None = None


def judge_gate(cfg: PipelineConfig) -> asyncio.Semaphore:
    """Verdicts judged at once: the judge model's concurrency."""
    return asyncio.Semaphore(cfg.models.judge.concurrency if cfg.models.judge is not None else 8)


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
) -> TaskSet:
    """Every agent's tasks, written and stored an agent at a time; the run keeps their ids (in id
    order) and reads the bodies back from the store when it samples them."""
    task_cfg = cfg.tasks.model_copy(
        update={"toolkits": toolkit_refs(cfg), "mcp_servers": world_servers_of(cfg)}
    )
    ids: list[str] = []

    def keep_ids(made: AgentTasks) -> None:
        ids.extend(t.id for t in made.tasks)
        report.done_before += made.stored_before

    await write_tasks(store, agents, tools, task_cfg, keep_ids, llm=llm, writer_cfg=cfg.models.task_writer)
    wanted = len(agents) * len(cfg.tasks.difficulties) * cfg.tasks.per_difficulty
    report.total = len(ids)
    report.new = report.total - report.done_before
    report.failed = wanted - len(ids)
    if report.failed:
        report.note = f"{report.failed} task(s) without a runnable chain (stored as failures)"
    return TaskSet.stored(store, sorted(set(ids)))


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
    (real servers through `pool`, one per run), once per task while the task is among the
    `REPLAY_CACHE` used last (the judge it is given to owns the cache)."""
    toolkits = [load_toolkit(ref) for ref in toolkit_refs(cfg)]

    async def replay(task: Task) -> dict[str, Any]:
        return (await replay_blueprint(task, tools, toolkits, pool)).end_state

    return ReplayCache(replay, REPLAY_CACHE)


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
    tasks: TaskSet,
    agents: list[Agent],
    tools: list[ToolSpec],
    options: SamplingOptions,
    judgements: Judgements,
) -> None:
    """Rejection sampling (`judges.sampling.rejection_sample`) over the tool tasks, `TASK_BATCH`
    tasks at a time: round r plays attempt r of every task of the batch that still needs one (in
    this process or in `rollouts.workers` processes), then judges it. Each task's judged attempts
    go to `judgements`.

    With `options.cluster` (a Ray run), each round's episodes and judgements run on the cluster's
    nodes (`toolforge.pipeline.cluster`); this process only hands out the work and reads it back."""
    rcfg = rollout_config(cfg)
    if options.cluster is not None:
        await _sample_on_cluster(store, rcfg.run_key(), tasks, options, options.cluster, cfg, judgements)
        options.reports.judged.note = "judged on the cluster's nodes, with the episodes (time under rollouts)"
        return
    async with open_players(
        store, agents, tools, rcfg, cfg.models, cfg.budget, options.run_id, rcfg.workers
    ) as players:
        await _sample_here(store, players, tasks, options, cfg, judgements)


class _Batch:
    """A batch of tasks as its rounds, reports and progress see it, with the attempts the store
    held for them when the batch began (asked once, for these tasks only)."""

    def __init__(self, store: Store, run_key: str, tasks: list[Task], options: SamplingOptions) -> None:
        self.by_id = {t.id: t for t in tasks}
        self.stored = store.stored_attempts(run_key, list(self.by_id))
        self.reports = options.reports

    def begin(self, pending: list[str], attempt: int) -> tuple[list[Task], int]:
        self.reports.progress.grow("rollouts", len(pending))
        self.reports.progress.grow("judges", len(pending))
        before = sum((task_id, attempt) in self.stored for task_id in pending)
        self.reports.rollouts.done_before += before
        return [self.by_id[i] for i in pending], before


# One round of a batch: (the batch, its pending task ids, the attempt) -> each one's judged attempt.
PlayRound = Callable[[_Batch, list[str], int], Awaitable[dict[str, Judged]]]


async def _sample_batches(
    store: Store, run_key: str, tasks: TaskSet, options: SamplingOptions, cfg: PipelineConfig,
    judgements: Judgements, play: PlayRound,
) -> None:  # fmt: skip
    """Every round of one batch, then the next. A task's attempts depend on its own verdicts only,
    so the batches make the attempts (and ids) one pass over all the tasks would; what a batch held
    is let go once its tasks are in `judgements`."""

    def open_batch(ids: list[str]) -> _Batch:
        return _Batch(store, run_key, tasks.load(ids), options)

    for start in range(0, len(tasks.ids), TASK_BATCH):
        batch = await asyncio.to_thread(open_batch, tasks.ids[start : start + TASK_BATCH])

        async def play_round(pending: list[str], attempt: int, batch: _Batch = batch) -> dict[str, Judged]:
            return await play(batch, pending, attempt)

        made = await rejection_sample(list(batch.by_id), play_round, cfg.sampling, accepted)
        for task_id, pairs in made.items():
            judgements.add(batch.by_id[task_id], pairs)
    _totals(options.reports)


async def _sample_here(
    store: Store, players: Players, tasks: TaskSet, options: SamplingOptions, cfg: PipelineConfig,
    judgements: Judgements,
) -> None:  # fmt: skip
    gate = judge_gate(cfg)

    async def play_round(batch: _Batch, pending: list[str], attempt: int) -> dict[str, Judged]:
        round_tasks, before = batch.begin(pending, attempt)
        options.reports.progress.advance("rollouts", before)
        return await play_and_judge(
            store, players, round_tasks, attempt, options.judge, gate, options.reports
        )

    await _sample_batches(store, players.config.run_key(), tasks, options, cfg, judgements, play_round)


async def _sample_on_cluster(
    store: Store, run_key: str, tasks: TaskSet, options: SamplingOptions, cluster: ClusterRound,
    cfg: PipelineConfig, judgements: Judgements,
) -> None:  # fmt: skip
    async def play_round(batch: _Batch, pending: list[str], attempt: int) -> dict[str, Judged]:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        done = await cluster(batch.begin(pending, attempt)[0], attempt, run_key, options.judge.key)
        options.reports.rollouts.seconds += round(loop.time() - t0, 2)
        return {task.id: (traj, verdict) for task, traj, verdict in done}

    await _sample_batches(store, run_key, tasks, options, cfg, judgements, play_round)


def _totals(reports: RoundReports) -> None:
    for report in (reports.rollouts, reports.judged):
        report.total = report.done_before + report.new


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
    store: Store, cfg: PipelineConfig, setup: CodeSetup, options: SamplingOptions, judgements: Judgements
) -> tuple[list[Agent], list[Task]]:
    """Rejection sampling over the code tasks, by the same sampler and the same round as the tool
    tasks: each attempt played by the runner in a fresh sandbox, then judged (the tests check
    re-grades its patch). Adds to `judgements`; returns the code agents and tasks."""
    code = cfg.code_tasks
    records = {t.id: code_task_records(t) for t in setup.tasks}
    agents = list({a.id: a for a, _ in records.values()}.values())
    tasks = [t for _, t in records.values()]
    await asyncio.to_thread(store.put, [*TOOL_SPECS, *agents, *tasks])
    llm = LLMClient(store, run_id=options.run_id, budget=cfg.budget) if code.policy == "llm" else None
    try:
        policy: Policy
        models: dict[str, str] = {}
        if llm is not None and cfg.models.agent is not None:
            policy, models = LLMPolicy(llm, cfg.models.agent), {"agent": cfg.models.agent.model}
        else:
            policy = PatchPolicy({t.id: t.gold_patch or "" for t in setup.tasks})
        settings = CodeRunConfig(policy, code.limits, models, max_in_flight=code.concurrency)
        runtime = code_runtime(setup.backend, {t.id: t for t in setup.tasks}, policy, code.limits, setup.spec)
        players = Players(store, agents, TOOL_SPECS, runtime, settings)
        await _sample_here(store, players, TaskSet.held(tasks), options, cfg, judgements)
    finally:
        if llm is not None:
            await llm.aclose()
    return agents, tasks
