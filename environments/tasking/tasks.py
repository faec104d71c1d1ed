"""Rubric tasks for agents (K2 §3.1.1): for each agent, tasks across difficulties — one call,
several dependent calls, clarification (facts only the user knows, withheld from the opening) and
recovery (the first call meets an injected failure) — each with a user goal, a rubric (success
criteria, expected tool-use pattern, checkpoints), an initial world state and a blueprint.

The blueprint is programmatic (`blueprints.execute_chain`); the language around it (goal, opening,
persona, criteria) comes from templates, or from the task-writer model when one is given.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from environments.episodes import finals, phrasing
from environments.episodes.config import MCPServerConfig
from environments.episodes.errors import InfraError
from environments.episodes.executors.mcp_pool import MCPPool
from environments.episodes.executors.semantics import semantics
from environments.episodes.toolkit import Toolkit, load_toolkit
from environments.tasking.blueprints import (
    Built,
    Replayer,
    Step,
    World,
    execute_chain,
    seed_state,
    world_view,
)
from environments.tasking.recoveries import applicable, build_recovery
from environments.tasking.task_writer import write_task
from toolforge.core.call_links import Call, chain_problems, day_of
from toolforge.core.errors import ConfigError, StructuredOutputError
from toolforge.core.ids import digest
from toolforge.core.store import Store
from toolforge.core.types import Agent, Blueprint, Difficulty, ExpectedCall, Rubric, Task, ToolSpec, UserGoal
from toolforge.tools.graph import ToolGraph

BLUEPRINT_DIFFICULTIES: tuple[Difficulty, ...] = ("single_call", "multi_call", "clarification", "recovery")
# Of the recovery tasks of an agent whose served world has domain errors, the share drawn from them.
DOMAIN_RECOVERY_SHARE = 0.75
PERSONAS = [
    ("a busy operations manager", "brief and direct"),
    ("a first-time customer", "polite and a little unsure"),
    ("a detail-oriented analyst", "precise, asks for confirmation"),
    ("a small-business owner", "friendly and informal"),
    ("a support engineer", "technical and terse"),
]


class TaskGenConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_difficulty: int = Field(default=1, ge=1)
    difficulties: list[Difficulty] = Field(default_factory=lambda: list(BLUEPRINT_DIFFICULTIES))
    multi_call_length: tuple[int, int] = (2, 3)
    seed: int = 0
    # template: all text from templates; llm: the model writes the language around the
    # programmatic blueprint; llm_free: the model writes the whole task (task_writer.py).
    writer: Literal["template", "llm", "llm_free"] = "template"
    toolkits: list[str] = Field(default_factory=list)
    # Real servers whose worlds tasks are sampled from and replayed on (fresh copy each time).
    mcp_servers: dict[str, MCPServerConfig] = Field(default_factory=dict)
    max_tries: int = Field(default=12, ge=1)


class TaskText(BaseModel):
    """What the task-writer model writes around a blueprint."""

    model_config = ConfigDict(extra="forbid")
    description: str = Field(description="the user's goal in one or two sentences, second person")
    persona: str
    style: str
    opening_message: str = Field(description="the user's first message, in the persona's voice")
    success_criteria: list[str]
    checkpoints: list[str]
    final_reply: str = Field(description="the assistant's final message when everything is done")


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _picked_by_name(built: Built) -> list[tuple[str, str]]:
    """Records a later call takes out of an earlier list of several: the user must say which one,
    by the name people know it by (else the assistant would be choosing for them)."""
    picks: list[tuple[str, str]] = []
    for i, step in enumerate(built.steps):
        for arg, source in step.sources.items():
            value = step.arguments.get(arg)
            if source != "result" or not isinstance(value, str) or not (arg == "id" or arg.endswith("_id")):
                continue
            for earlier in built.steps[:i]:
                items = _listed(earlier.result)
                chosen = next((r for r in items if r.get("id") == value), None)
                name = next(
                    (chosen[k] for k in ("name", "title") if chosen and isinstance(chosen.get(k), str)), None
                )
                if len(items) > 1 and name:
                    picks.append((" ".join(phrasing.words(arg[:-3] or "record")), name))
                    break
    return list(dict.fromkeys(picks))


def _listed(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, dict):
        result = next((v for v in result.values() if isinstance(v, list)), [])
    return [r for r in result if isinstance(r, dict)] if isinstance(result, list) else []


def template_task(agent: Agent, difficulty: Difficulty, seed: int, built: Built, rng: random.Random) -> Task:
    """The language around a built chain, from the tools' names and the world's values: the user
    speaks from a goal in a persona's style and never quotes a tool description."""
    steps = [s for s in built.steps if not s.is_error]
    facts = built.user_facts()
    persona, style = rng.choice(PERSONAS)
    key = (agent.id, difficulty, seed)
    mutating = [s for s in steps if semantics(s.tool).mutates]
    withheld = sorted(facts) if difficulty == "clarification" else []
    recovery = built.recovery or {}
    told = {} if withheld else {**facts, **built.mistakes, **recovery.get("told", {})}
    # A domain recovery's user asked for what the world then refused: the goal is the first call.
    asked = built.steps[:1] if recovery else (mutating or steps[-1:])
    hidden = {_show(v) for v in facts.values()} if withheld else set()
    wants = [_want(s, built, told, hidden) for s in asked]
    goal = phrasing.join_intents(wants)
    known = ", ".join(f"{phrasing.field_name(k)} {_show(v)}" for k, v in facts.items())
    description = f"You want to {goal}." + (f" You know: {known}." if known else "")
    opening = phrasing.opening(goal, told, style, key)
    picks = [(kind, name) for kind, name in _picked_by_name(built) if name not in opening]  # not twice
    if picks:
        pick_text = " ".join(f"I mean the {kind} called “{name}”." for kind, name in picks)
        opening = f"{opening} {pick_text}"
        facts = {**facts, **{f"{kind} name": name for kind, name in picks}}
        description += " " + pick_text
    criteria = [
        f"Calls {s.tool.name} with " + ", ".join(f"{k}={_show(v)}" for k, v in s.arguments.items())
        for s in (mutating or steps)
    ]
    if mutating:
        criteria.append(
            "The world ends in the blueprint's end state (same records created, changed or removed)"
        )
    criteria.append("The final reply tells the user the outcome truthfully, using the results' values")
    checkpoints = [f"Step {i + 1}: {s.tool.name} succeeds" for i, s in enumerate(steps)]
    if mutating:
        checkpoints.insert(
            0,
            "States the change and waits for the user's yes before "
            + ", ".join(s.tool.name for s in mutating),
        )
    if withheld:
        checkpoints.insert(0, "Asks the user for " + ", ".join(withheld) + " before calling any tool")
    if built.faults:
        checkpoints.insert(
            0, f"Handles the failed {built.faults[0]['tool']} call (a transient error) by retrying it once"
        )
    if recovery.get("proposal"):
        checkpoints.insert(
            0,
            f"When {built.steps[0].tool.name} fails ({recovery['kind'].replace('_', ' ')}), tells the user, "
            "proposes the alternative the world allows and waits for the yes instead of repeating the call",
        )
    for name, wrong in built.mistakes.items():
        checkpoints.insert(
            0,
            f"When the world rejects {name} {wrong}, asks the user to check it instead of guessing or repeating",
        )
    # The reference reply quotes only what the user tells and the results show, as the episode's will.
    seen = json.dumps([told, [s.result for s in steps]], ensure_ascii=False, default=str)
    final = finals.final_reply([finals.Step(s.tool, s.arguments, s.result) for s in steps], key, seen, style)
    return Task(
        agent_id=agent.id,
        user_goal=UserGoal(
            description=description, known_facts=facts, persona=persona, style=style, opening_message=opening
        ),
        difficulty=difficulty,
        rubric=Rubric(
            success_criteria=criteria,
            expected_tool_pattern=[
                ExpectedCall(name=s.tool.name, arguments=s.arguments) for s in built.steps
            ],
            ordered=True,
            checkpoints=checkpoints,
        ),
        initial_state=built.initial_state,
        blueprint=Blueprint(
            actions=built.actions(),
            expected_end_state=built.end_state,
            expected_results=built.results(),
            final_reply=final,
        ),
        source="blueprint",
        seed=seed,
        domain=agent.domain,
        metadata={
            "withheld_facts": withheld,
            "mistaken_facts": built.mistakes,
            "recovery": recovery,
            "chain": [s.tool.name for s in built.steps],
        },
    )


def _want(step: Step, built: Built, told: dict[str, Any], hidden: set[str]) -> str:
    """What the user wants from one step: an update says what changes ("move “Design review”
    (evt_0002) to 2026-12-03T10:00"), a step that takes a time a search finds says where; no
    `hidden` value (a fact kept back for the assistant to ask) is said."""
    sem = semantics(step.tool)
    if sem.effect == "update":
        rid = step.arguments.get(sem.id_param) if sem.id_param else None
        record = (
            (world_view(built.initial_state).get(sem.collection) or {}).get(rid)
            if isinstance(rid, str)
            else None
        )
        said = phrasing.change(
            step.arguments,
            dict(step.sources),
            record if isinstance(record, dict) else None,
            sem.id_param,
            told,
        )
        if said:
            return said
    want = phrasing.intent(step.tool.name, step.arguments, told)
    start = step.arguments.get("start")
    if step.sources.get("start") == "result" and isinstance(start, str) and (day := day_of(start)):
        if day in hidden:
            return want + " in the first free slot that day"
        want += f" in the first free slot on {day}"
        for earlier in built.steps[: built.steps.index(step)]:  # the record read whose day it is
            seen = earlier.result if isinstance(earlier.result, dict) else {}
            title = seen.get("title") or seen.get("name")
            if seen.get("id") and title and day_of(str(seen.get("start", ""))) == day:
                want += f", the day of “{title}” ({seen['id']})"
                break
    return want


def _writer_prompt(agent: Agent, task: Task) -> list[dict[str, str]]:
    bp = task.blueprint
    assert bp is not None
    brief = {
        "difficulty": task.difficulty,
        "actions": [a.model_dump() for a in bp.actions],
        "results": bp.expected_results,
        "facts_only_the_user_knows": task.user_goal.known_facts,
        "withheld_from_opening": task.metadata.get("withheld_facts", []),
    }
    return [
        {
            "role": "system",
            "content": "You write realistic tasks for training tool-using assistants. Given an assistant "
            "and the exact tool calls that solve a task, write the user's goal, a persona, the user's "
            "opening message, success criteria, checkpoints and the assistant's final reply. The "
            "opening must not state facts listed as withheld. Do not invent facts beyond those given.",
        },
        {
            "role": "user",
            "content": f"Assistant:\n{agent.system_prompt}\n\nTask:\n{json.dumps(brief, ensure_ascii=False)}",
        },
    ]


async def _llm_text(llm: Any, cfg: Any, agent: Agent, task: Task) -> Task:
    text: TaskText = await llm.structured(
        cfg,
        _writer_prompt(agent, task),
        TaskText,
        role="task_writer",
        cache_salt=str(task.seed),
        item_id=task.id,
    )
    assert task.blueprint is not None
    return task.model_copy(
        update={
            "user_goal": task.user_goal.model_copy(
                update={
                    "description": text.description,
                    "persona": text.persona,
                    "style": text.style,
                    "opening_message": text.opening_message,
                }
            ),
            "rubric": task.rubric.model_copy(
                update={
                    "success_criteria": text.success_criteria + task.rubric.success_criteria[-2:],
                    "checkpoints": text.checkpoints,
                }
            ),
            "blueprint": task.blueprint.model_copy(update={"final_reply": text.final_reply}),
            "source": cfg.model,
        }
    )


def incoherent(built: Built) -> str | None:
    """Why a built chain is not one task, or None: a step that shares no entity or data with the
    others or crosses their records (the rules judge's own test, `toolforge.core.call_links`), or
    a record created only to be changed or removed again."""
    calls = [
        Call(s.tool.name, s.arguments, None if s.is_error else s.result, s.is_error) for s in built.steps
    ]
    # A sampled chain is held to more than the judge asks: every step takes a record or a value
    # from another, not only their container (shipping an order, then viewing the customer's cart).
    problems = chain_problems(calls, strict=built.recovery is None)
    if problems:
        return problems[0].message
    created: set[str] = set()
    for step in built.steps:
        sem = semantics(step.tool)
        if step.is_error:
            continue
        named = step.arguments.get(sem.id_param) if sem.id_param else None
        if sem.effect in ("update", "delete") and named in created:  # made right the first time
            return f"{step.tool.name} changes {named}, which the chain itself just created"
        if (
            sem.effect == "create"
            and isinstance(step.result, dict)
            and isinstance(step.result.get("id"), str)
        ):
            created.add(step.result["id"])
    return None


def _chain_length(difficulty: Difficulty, config: TaskGenConfig, rng: random.Random) -> int:
    if difficulty == "multi_call":
        return rng.randint(*config.multi_call_length)
    if difficulty in ("clarification", "recovery"):
        return rng.randint(1, 2)
    return 1


def with_lookup(chain: list[ToolSpec], tools: Sequence[ToolSpec]) -> list[ToolSpec]:
    """Look a record up before changing it (the agents' policy): a chain that opens with a write on
    a record named by id starts with the read of that record, when the agent has one."""
    if not chain or not semantics(chain[0]).mutates:
        return chain
    id_params = [p for p in chain[0].input_schema.get("properties", {}) if p == "id" or p.endswith("_id")]
    for param in id_params:
        for tool in tools:
            sem = semantics(tool)
            if sem.effect == "read" and sem.id_param == param and tool.name != chain[0].name:
                return [tool, *chain]
    return chain


async def build_task(
    agent: Agent,
    tools: Sequence[ToolSpec],
    graph: ToolGraph,
    difficulty: Difficulty,
    seed: int,
    config: TaskGenConfig,
    replayer: Replayer,
    toolkits: Sequence[type[Toolkit]] = (),
    worlds: dict[str, Any] | None = None,
) -> Task | None:
    """One blueprint task sampled from and run on its world, or None when no seed within
    `max_tries` gives a chain that runs there."""
    world = World()
    try:
        for attempt in range(config.max_tries):
            rng = random.Random(int(digest([agent.id, difficulty, seed, attempt]), 16))
            length = _chain_length(difficulty, config, rng)
            chain = graph.sample_chain(list(tools), length, rng.randrange(2**31))
            if not chain or (difficulty == "multi_call" and len(chain) < 2):
                continue
            chain = with_lookup(list(chain), tools)
            state = seed_state(tools, rng, toolkits, worlds=worlds)
            # Recovery tasks draw among a transient failure (retry once), a wrong id the user
            # gave (ask, do not guess or repeat) and the domain errors of the agent's served world
            # (out of stock, slot taken, invalid date, not found by name: a different action).
            # The domain errors teach the most, so they are drawn most often where they apply.
            # A domain kind this world does not give is followed by the next one in the same try,
            # and by a transient fault or a wrong id when none does.
            kind, built = "", None
            if difficulty == "recovery":
                domain = applicable(tools, replayer)
                if domain and rng.random() < DOMAIN_RECOVERY_SHARE:
                    for kind in rng.sample(domain, len(domain)):
                        built = await build_recovery(kind, tools, state, rng, replayer, world)
                        world = World()  # that one is closed
                        if built is not None:
                            break
                if built is None:
                    kind = rng.choice(["transient", "wrong_id"])
            if built is None:
                built = await execute_chain(
                    chain,
                    state,
                    rng,
                    replayer,
                    fault_first=kind == "transient",
                    world=world,
                    mistake=kind == "wrong_id",
                )
            if world.closed or world.touched:  # used up: the next try starts from a fresh copy
                if not world.closed:
                    await replayer.close(world.id, {})
                world = World()
            if built is None or (difficulty == "clarification" and not built.user_facts()):
                continue
            if incoherent(built) is not None:
                continue  # steps that serve no one task: the judges would reject every episode
            return template_task(agent, difficulty, seed, built, rng)
        return None
    finally:
        if not world.closed:
            await replayer.close(world.id, {})


async def fresh_worlds(pool: MCPPool, tools: Sequence[ToolSpec]) -> dict[str, Any]:
    """The seeded world of every served server some of `tools` come from; a server that cannot
    start or gives no readable world stops the stage with its name and the fix."""
    worlds: dict[str, Any] = {}
    for origin in sorted({t.origin for t in tools if t.source == "mcp" and pool.serves(t)}):
        try:
            worlds[origin] = await pool.fresh_world(origin)
        except (InfraError, OSError, ValueError) as exc:
            raise ConfigError(
                f"the world of MCP server {origin!r} cannot be started or read: {exc}. Check its "
                "command, args and cwd in the servers file, that its 'world.stateEnv' names the variable "
                "it reads its state file from, and that an existing state file holds valid JSON."
            ) from exc
    return worlds


async def generate_tasks(
    store: Store,
    agents: Sequence[Agent],
    tools: Sequence[ToolSpec],
    config: TaskGenConfig,
    llm: Any = None,
    writer_cfg: Any = None,
) -> list[Task]:
    """Tasks for every agent × difficulty × `per_difficulty`, stored; existing ones are reused
    (`write_tasks`, collected: a large run takes each agent's as they come instead)."""
    out: list[Task] = []
    await write_tasks(store, agents, tools, config, lambda made: out.extend(made.tasks), llm, writer_cfg)
    return out


@dataclass
class AgentTasks:
    """One agent's tasks, stored, and how many of them the store held before."""

    tasks: list[Task]
    stored_before: int


async def write_tasks(
    store: Store,
    agents: Sequence[Agent],
    tools: Sequence[ToolSpec],
    config: TaskGenConfig,
    on_agent: Callable[[AgentTasks], Any],
    llm: Any = None,
    writer_cfg: Any = None,
) -> None:
    """Each agent's tasks for every difficulty × `per_difficulty`, stored, then given to `on_agent`;
    existing ones are reused. Blueprints are sampled from and replayed on the world they will run
    on: the seeded worlds of `config.mcp_servers` (a fresh copy of the real server per replay),
    Python toolkits, else the schema simulator. With `llm` and `writer_cfg` (an LLMConfig) and
    `config.writer == "llm"`, the model writes the language; a writer failure is stored by the LLM
    layer and the template text is kept."""
    if config.writer != "template" and (llm is None or writer_cfg is None):
        raise ValueError(f"writer={config.writer!r} needs an LLM client and a task_writer model (--model)")
    toolkits = [load_toolkit(ref) for ref in config.toolkits]
    by_id = {t.id: t for t in tools}
    graph = ToolGraph.build(list(tools))
    async with MCPPool(config.mcp_servers) as pool:
        replayer = Replayer(toolkits, pool if config.mcp_servers else None)
        worlds = await fresh_worlds(pool, tools) if config.mcp_servers else {}
        for agent in agents:
            agent_tools = [by_id[i] for i in agent.tool_ids if i in by_id]
            stored = store.list(Task, agent_id=agent.id)
            existing = {(t.difficulty, t.seed, t.metadata.get("writer") == "llm_free"): t for t in stored}
            out: list[Task] = []
            fresh: list[Task] = []
            for difficulty in config.difficulties:
                for k in range(config.per_difficulty):
                    seed = config.seed + k
                    key = (difficulty, seed, config.writer == "llm_free")
                    if key in existing:
                        out.append(existing[key])
                        continue
                    if config.writer == "llm_free":
                        try:
                            fresh.append(
                                await write_task(
                                    llm, writer_cfg, agent, agent_tools, difficulty, seed, toolkits
                                )
                            )
                        except StructuredOutputError:
                            pass  # the LLM layer stored the failure with the raw reply
                        continue
                    task = await build_task(
                        agent, agent_tools, graph, difficulty, seed, config, replayer, toolkits, worlds
                    )
                    if task is None:
                        store.record_failure(
                            "tasks",
                            f"{agent.id}/{difficulty}/{seed}",
                            f"no chain of {difficulty} ran on its world in {config.max_tries} tries",
                        )
                        continue
                    if config.writer == "llm":
                        try:
                            task = await _llm_text(llm, writer_cfg, agent, task)
                        except StructuredOutputError:
                            task.metadata["writer_error"] = "structured output failed; template text kept"
                    fresh.append(task)
            store.put(fresh)
            out += fresh
            before = {t.id for t in stored}
            on_agent(AgentTasks(out, len({t.id for t in out} & before)))
