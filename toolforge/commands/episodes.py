"""`toolforge agents generate`, `toolforge tasks generate`, `toolforge rollout` and
`toolforge show trajectory ID`: the episode stage (environments/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from environments.episodes.config import POLICIES, SIMULATORS, USERS, Limits, MCPServerConfig, RolloutConfig
from environments.episodes.parallel import run_episodes
from environments.episodes.runner import RolloutSummary
from environments.episodes.toolkit import load_toolkit
from environments.episodes.transcript import render_transcript
from environments.episodes.worlds import world_servers
from environments.tasking.agents import AgentGenConfig, generate_agents
from environments.tasking.tasks import BLUEPRINT_DIFFICULTIES, TaskGenConfig, generate_tasks
from toolforge.commands.common import DbOption, chosen, console, fail, open_store, progress_bar
from toolforge.commands.summary import DEFAULT_MAX_FAILURE_RATE, FailureSummary, MaxFailureRateOption
from toolforge.core import aio
from toolforge.core.errors import ToolforgeError
from toolforge.core.llm import LLMClient, LLMConfig, RolesConfig
from toolforge.core.llm.config import TOOL_MODES, ToolMode
from toolforge.core.store import Store
from toolforge.core.types import Agent, Task, ToolSpec, Trajectory
from toolforge.tools.servers import load_servers

agents_app = typer.Typer(
    help="Agents: a system prompt plus a connected subset of the tool library.", no_args_is_help=True
)
tasks_app = typer.Typer(help="Rubric tasks with blueprints, per agent and difficulty.", no_args_is_help=True)
show_app = typer.Typer(help="Show stored items readably.", no_args_is_help=True)

ToolkitOption = Annotated[
    list[str] | None,
    typer.Option("--toolkit", help="A Python toolkit, 'file.py:Class' or 'module:Class' (repeatable)."),
]
ROLLOUT_CHOICES: dict[str, tuple[str, ...]] = {
    "policy": POLICIES,
    "user": USERS,
    "simulator": SIMULATORS,
    "tool_mode": TOOL_MODES,
}
NO_BLUEPRINT_FIX = (
    "play it with --policy llm --agent-model MODEL, or write tasks with blueprints (--writer template)"
)
ApiBaseOption = Annotated[
    str | None, typer.Option("--api-base", help="OpenAI-compatible base URL for the models.")
]


def _episode_servers(path: Path) -> dict[str, MCPServerConfig]:
    """The servers file's stdio servers for episodes: those with a `world` on a fresh, seeded copy
    each, the others through one pooled session each (their state is shared)."""
    try:
        listed = load_servers(path)
    except ToolforgeError as exc:
        fail(f"cannot read MCP servers from {path}: {exc}")
    worlds = world_servers(listed)
    pooled = {
        s.name: MCPServerConfig(command=s.command, args=s.args, env=s.env, cwd=s.cwd)
        for s in listed
        if s.command is not None and s.name not in worlds
    }
    return {**pooled, **worlds}


def _library(store: Store, toolkits: list[str]) -> list[ToolSpec]:
    """The tool library (accepted tools) plus the tools of the given toolkits (stored too)."""
    extra: list[ToolSpec] = []
    for ref in toolkits:
        try:
            extra += load_toolkit(ref).specs()
        except (ValueError, ImportError) as exc:
            fail(f"cannot load toolkit {ref}: {exc}")
    if extra:
        store.put(extra)
    tools = {t.id: t for t in store.list(ToolSpec, status="ok")}
    tools.update({t.id: t for t in extra})
    if not tools:
        fail("the tool library is empty: harvest or synthesize tools first, or pass --toolkit FILE.py:Class")
    return list(tools.values())


def _cfg(model: str | None, api_base: str | None, tool_mode: ToolMode = "native") -> LLMConfig | None:
    if model is None:
        return None
    return LLMConfig(model=model, api_base=api_base, tool_mode=tool_mode)


@agents_app.command("generate")
def agents_generate(
    count: Annotated[int, typer.Option(help="How many agents.")] = 8,
    min_tools: Annotated[int, typer.Option(help="Smallest toolset.")] = 3,
    max_tools: Annotated[int, typer.Option(help="Largest toolset.")] = 8,
    seed: Annotated[int, typer.Option(help="First seed; agent i uses seed+i.")] = 0,
    toolkit: ToolkitOption = None,
    model: Annotated[
        str | None, typer.Option(help="Synthesizer model for system prompts (default: templates).")
    ] = None,
    api_base: ApiBaseOption = None,
    max_failure_rate: MaxFailureRateOption = DEFAULT_MAX_FAILURE_RATE,
    db: DbOption = None,
) -> None:
    """Sample connected toolsets from the tool graph and write each agent's system prompt.

    With --model, a prompt the model fails to write falls back to the template and is listed with
    the failures; exits 1 when more than --max-failure-rate of the prompts fell back."""
    store = open_store(db)
    tools = _library(store, toolkit or [])
    config = AgentGenConfig(count=count, min_tools=min_tools, max_tools=max_tools, seed=seed)
    cfg = _cfg(model, api_base)
    summary = FailureSummary(store)  # the model's failed writes are stored as failure rows

    async def go() -> list[Agent]:
        async with LLMClient(store, run_id=f"agents-{seed}") as llm:
            return await generate_agents(store, tools, config, llm if cfg else None, cfg)

    try:
        with console.status(f"writing {count} agents…"):
            agents = aio.run(go())
    except (ToolforgeError, ValueError) as exc:
        fail(str(exc))
    table = Table(title=f"{len(agents)} agents")
    for column in ("id", "name", "domain", "tools", "prompt by"):
        table.add_column(column)
    for a in agents:
        table.add_row(a.id, a.name, a.domain, ", ".join(a.tool_names), a.source)
    console.print(table)
    fell_back = sum("prompt_error" in a.metadata for a in agents)
    counts = {"agents": (len(agents), 0)}
    if cfg is not None:
        counts["agent prompts"] = (len(agents) - fell_back, fell_back)
    summary.finish(counts, max_failure_rate)


@tasks_app.command("generate")
def tasks_generate(
    per_difficulty: Annotated[int, typer.Option(help="Tasks per agent and difficulty.")] = 1,
    difficulty: Annotated[
        list[str] | None,
        typer.Option(help=f"Difficulties (repeatable): {', '.join(BLUEPRINT_DIFFICULTIES)}."),
    ] = None,
    agent: Annotated[list[str] | None, typer.Option(help="Only these agent ids (repeatable).")] = None,
    seed: Annotated[int, typer.Option(help="First task seed.")] = 0,
    toolkit: ToolkitOption = None,
    model: Annotated[
        str | None, typer.Option(help="Task-writer model (for --writer llm / llm_free).")
    ] = None,
    writer: Annotated[
        str,
        typer.Option(
            help="template; llm (the model writes the language around the blueprint); llm_free (whole task)."
        ),
    ] = "template",
    api_base: ApiBaseOption = None,
    servers: Annotated[
        Path | None,
        typer.Option(
            help="A servers file: the tools of servers with a `world` get tasks sampled from, and "
            "replayed on, fresh copies of the server's seeded world (pass the same file to rollout)."
        ),
    ] = None,
    max_failure_rate: MaxFailureRateOption = DEFAULT_MAX_FAILURE_RATE,
    db: DbOption = None,
) -> None:
    """Write rubric tasks with programmatic blueprints for the stored agents.

    Exits 1 when no task could be made, or more than --max-failure-rate of those asked were not."""
    if writer not in ("template", "llm", "llm_free"):
        raise typer.BadParameter(f"{writer!r}: choose template, llm or llm_free", param_hint="--writer")
    if writer != "template" and model is None:
        raise typer.BadParameter(f"--writer {writer} needs --model", param_hint="--model")
    store = open_store(db)
    tools = _library(store, toolkit or [])
    agents = store.list(Agent)
    if agent:
        agents = [a for a in agents if a.id in set(agent)]
    if not agents:
        fail("no agents in the store: run `toolforge agents generate` first")
    bad = [d for d in difficulty or [] if d not in BLUEPRINT_DIFFICULTIES]
    if bad:
        fail(f"unknown difficulty {bad[0]!r}; choose from {', '.join(BLUEPRINT_DIFFICULTIES)}")
    config = TaskGenConfig(
        per_difficulty=per_difficulty,
        difficulties=[chosen(d, BLUEPRINT_DIFFICULTIES) for d in difficulty or BLUEPRINT_DIFFICULTIES],
        seed=seed,
        writer=writer,
        toolkits=toolkit or [],
        mcp_servers=world_servers(load_servers(servers)) if servers is not None else {},
    )
    cfg = _cfg(model, api_base)

    async def go() -> list[Task]:
        async with LLMClient(store, run_id=f"tasks-{seed}") as llm:
            return await generate_tasks(store, agents, tools, config, llm if cfg else None, cfg)

    summary = FailureSummary(store)  # each task not made is stored as a failure row, with its reason
    try:
        with console.status(f"writing tasks for {len(agents)} agents (blueprints replayed on their worlds)…"):
            tasks = aio.run(go())
    except (ToolforgeError, ValueError) as exc:
        fail(str(exc))
    asked = len(agents) * per_difficulty
    table = Table(title=f"{len(tasks)} tasks for {len(agents)} agents")
    for column in ("difficulty", "asked", "made", "with blueprint"):
        table.add_column(column)
    for d in config.difficulties:
        mine = [t for t in tasks if t.difficulty == d]
        made = f"[red]{len(mine)}[/]" if len(mine) < asked else str(len(mine))
        table.add_row(d, str(asked), made, str(sum(1 for t in mine if t.blueprint)))
    console.print(table)
    not_made = max(0, asked * len(config.difficulties) - len(tasks))
    summary.finish({"tasks": (len(tasks), not_made)}, max_failure_rate)


def rollout(
    attempts: Annotated[int, typer.Option(help="Attempts per task.")] = 1,
    policy: Annotated[str, typer.Option(help="blueprint (no model) or llm.")] = "blueprint",
    user: Annotated[str, typer.Option(help="template (no model) or llm.")] = "template",
    simulator: Annotated[str, typer.Option(help="schema (no model) or world_model.")] = "schema",
    agent_model: Annotated[str | None, typer.Option(help="Model of the agent policy.")] = None,
    user_model: Annotated[str | None, typer.Option(help="Model of the user simulator.")] = None,
    sim_model: Annotated[str | None, typer.Option(help="Model of the world-model tool simulator.")] = None,
    api_base: ApiBaseOption = None,
    tool_mode: Annotated[str, typer.Option(help="Agent tool calling: native or json.")] = "native",
    toolkit: ToolkitOption = None,
    mcp_servers: Annotated[
        Path | None,
        typer.Option(
            help="A servers file ({'mcpServers': {id: {command, args, env, world?}}}): run those tools "
            "for real, each server with a `world` on a fresh, seeded copy per episode."
        ),
    ] = None,
    max_in_flight: Annotated[int, typer.Option(help="Episodes at once (shared by the workers).")] = 64,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processes playing the episodes: one tops out near 2,000 model calls/s; "
            "use about one per core for fast self-hosted models.",
        ),
    ] = 1,
    max_turns: Annotated[int, typer.Option(help="Assistant turns per episode.")] = 16,
    max_tool_calls: Annotated[int, typer.Option(help="Tool calls per episode.")] = 24,
    max_tokens: Annotated[int, typer.Option(help="Model tokens per episode.")] = 48_000,
    max_wall_s: Annotated[float, typer.Option(help="Seconds per episode.")] = 300.0,
    limit: Annotated[int | None, typer.Option(help="Only the first N tasks.")] = None,
    max_failure_rate: MaxFailureRateOption = DEFAULT_MAX_FAILURE_RATE,
    db: DbOption = None,
) -> None:
    """Play episodes for the stored tasks; resumable (a re-run does only what is missing).

    Ends with the episodes that failed (infrastructure errors, tasks the policy cannot play) by
    reason; exits 1 when none could be played, or more than --max-failure-rate of them failed."""
    _check_choices(policy=policy, user=user, simulator=simulator, tool_mode=tool_mode)
    store = open_store(db)
    tools = _library(store, toolkit or [])
    tasks = store.list(Task)[:limit] if limit else store.list(Task)
    if not tasks:
        fail("no tasks in the store: run `toolforge tasks generate` first")
    roles = _roles(agent_model, user_model, sim_model, api_base, chosen(tool_mode, TOOL_MODES))
    config = RolloutConfig(
        policy=chosen(policy, POLICIES),
        user=chosen(user, USERS),
        simulator=chosen(simulator, SIMULATORS),
        limits=Limits(
            max_turns=max_turns, max_tool_calls=max_tool_calls, max_tokens=max_tokens, max_wall_s=max_wall_s
        ),
        toolkits=toolkit or [],
        mcp_servers=_episode_servers(mcp_servers) if mcp_servers is not None else {},
        models=_models(roles),
        max_in_flight=max_in_flight,
    )
    failures = FailureSummary(store)  # model calls that failed for good are stored as failure rows
    summary = _play(store, tasks, tools, config, attempts, roles, workers)
    _print_rollout(summary)
    broken = _episode_failures(store, summary, tasks, failures)
    made = summary.requested - broken
    failures.finish({"rollouts": (made, broken + summary.without_blueprint)}, max_failure_rate)


def _check_choices(**chosen: str) -> None:
    """Each option's value is one it knows, or a usage error naming the choices."""
    for name, value in chosen.items():
        allowed = ROLLOUT_CHOICES[name]
        if value not in allowed:
            raise typer.BadParameter(
                f"{value!r}: choose {' or '.join(allowed)}", param_hint=f"--{name.replace('_', '-')}"
            )


def _roles(
    agent_model: str | None,
    user_model: str | None,
    sim_model: str | None,
    api_base: str | None,
    tool_mode: ToolMode,
) -> RolesConfig:
    return RolesConfig(
        agent=_cfg(agent_model, api_base, tool_mode),
        user=_cfg(user_model, api_base),
        tool_simulator=_cfg(sim_model, api_base),
    )


def _models(roles: RolesConfig) -> dict[str, str]:
    """The model of each role that has one (part of the rollout's run key)."""
    pairs = (("agent", roles.agent), ("user", roles.user), ("tool_simulator", roles.tool_simulator))
    return {role: cfg.model for role, cfg in pairs if cfg}


def _play(
    store: Store,
    tasks: list[Task],
    tools: list[ToolSpec],
    config: RolloutConfig,
    attempts: int,
    roles: RolesConfig,
    workers: int,
) -> RolloutSummary:
    """Every missing (task, attempt), in `workers` processes, under one progress bar."""
    with progress_bar("rollout", transient=True) as progress:
        bar = progress.add_task("episodes", total=len(tasks) * attempts)
        try:
            return aio.run(
                run_episodes(
                    store,
                    tasks,
                    store.list(Agent),
                    tools,
                    config,
                    attempts,
                    roles=roles,
                    workers=workers,
                    on_progress=lambda n: progress.advance(bar, n),
                )
            )
        except (ToolforgeError, ValueError) as exc:
            fail(str(exc))


def _print_rollout(summary: RolloutSummary) -> None:
    table = Table(title=f"rollout {summary.run_key}")
    table.add_column("")
    table.add_column("", justify="right")
    rows = [
        ("episodes requested", summary.requested),
        ("already stored", summary.already_done),
        ("ran now", summary.ran),
        *((f"  end: {k}", v) for k, v in summary.end_reasons.items()),
        ("wall s", summary.wall_s),
        ("trajectories/s", summary.trajectories_per_s),
        ("model calls", summary.usage.calls),
        ("tokens", summary.usage.prompt_tokens + summary.usage.completion_tokens),
        ("cost $", f"{summary.usage.cost_usd:.4f}"),
    ]
    for k, v in rows:
        table.add_row(k, str(v))
    console.print(table)


def _episode_failures(
    store: Store, summary: RolloutSummary, tasks: list[Task], failures: FailureSummary
) -> int:
    """The requested episodes that failed, told to `failures`: those of this run key that ended in
    `infra_error` (stored earlier too: a re-run does not replay them) and the tasks the blueprint
    policy cannot play. Returns how many episodes ended in `infra_error`."""
    wanted = {t.id for t in tasks}
    broken = [
        t
        for t in store.list(Trajectory, run_key=summary.run_key, end_reason="infra_error")
        if t.task_id in wanted
    ]
    for traj in broken:
        failures.add("rollouts", traj.error or "infra_error", traj.id)
    for task in tasks:
        if summary.without_blueprint and task.blueprint is None:
            failures.add(
                "rollouts", "no blueprint: the blueprint policy cannot play it", task.id, NO_BLUEPRINT_FIX
            )
    return len(broken)


@show_app.command("trajectory")
def show_trajectory(
    trajectory_id: Annotated[str, typer.Argument(help="A trajectory id (traj_…) or the start of one.")],
    db: DbOption = None,
) -> None:
    """A readable transcript: messages, tool calls with arguments, results, end reason, usage."""
    store = open_store(db)
    traj = store.get(Trajectory, trajectory_id)
    if traj is None:
        candidates = store.ids_starting(Trajectory, trajectory_id, limit=11)
        if not candidates:
            fail(
                f"no trajectory {trajectory_id!r} in {store.display_url}; "
                "list them with `toolforge trajectories list`"
            )
        if len(candidates) > 1:
            shown = ", ".join(candidates[:10]) + (", …" if len(candidates) > 10 else "")
            fail(f"{trajectory_id!r} is the start of several trajectory ids ({shown}): type more of the id")
        traj = store.get(Trajectory, candidates[0])
        assert traj is not None
    console.print(render_transcript(traj), markup=False, highlight=False)
