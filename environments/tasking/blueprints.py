"""Programmatic blueprints: a call chain sampled from the tool graph, arguments drawn from the
schemas, the state and earlier results, executed on the schema simulator (and Python toolkits) to
fix the expected results and end state. `replay_blueprint` does the same on a fresh state — the
judges' reference for a trajectory's end state.
"""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from environments.episodes.environment import error_text, observed
from environments.episodes.executors.base import CallContext, ToolResult
from environments.episodes.executors.mcp_pool import MCPPool
from environments.episodes.executors.schema_sim import SchemaSimulator
from environments.episodes.executors.semantics import Semantics, semantics
from environments.episodes.executors.validate import validate_arguments
from environments.episodes.state import State, plural, take_fault
from environments.episodes.toolkit import Toolkit, ToolkitExecutor
from environments.tasking.chain_values import (
    Earlier,
    day_of_earlier,
    earlier_argument,
    fit_span,
    in_scope,
    scope_of,
)
from toolforge.core.jsonschema_tools import instance_for
from toolforge.core.types import ExpectedCall, Task, ToolSpec
from toolforge.core.values import words

Source = Literal["result", "state", "user"]
_QUERY_ARGS = ("query", "q", "search", "keyword", "keywords", "term")
_NAME_FIELDS = ("name", "title", "label", "subject")
_STOPWORDS = frozenset("the and for with from into onto our your their after before".split())
_WORLD_IDS = itertools.count()  # names each world a replay starts, unique within the process


class Replayer:
    """Runs calls on a world: Python toolkit tools on their toolkit, tools of a served MCP world on
    a fresh copy of the real server (`mcp`, per-episode sessions), every other tool on the schema
    simulator; injected faults first, as in an episode."""

    def __init__(self, toolkits: Sequence[type[Toolkit]] = (), mcp: MCPPool | None = None) -> None:
        self.schema = SchemaSimulator()
        self.toolkit = ToolkitExecutor(list(toolkits)) if toolkits else None
        self.mcp = mcp

    def on_server(self, tool: ToolSpec) -> bool:
        return tool.source == "mcp" and self.mcp is not None and self.mcp.serves(tool)

    def run(self, tool: ToolSpec, arguments: dict[str, Any], state: State) -> ToolResult:
        fault = take_fault(state, tool.name)
        if fault is not None:
            return ToolResult.error(error_text(fault))
        if tool.source == "python":
            if self.toolkit is None or tool.name not in self.toolkit.by_tool:
                raise ValueError(f"tool {tool.name} needs its Python toolkit to replay; pass toolkits=")
            return self.toolkit.run(tool.name, arguments, state)
        return self.schema.run(tool, arguments, state)

    async def arun(
        self, tool: ToolSpec, arguments: dict[str, Any], state: State, world_id: str
    ) -> ToolResult:
        """`run`, with the tools of a served world executed on the world's own server."""
        if not self.on_server(tool):
            return self.run(tool, arguments, state)
        assert self.mcp is not None
        fault = take_fault(state, tool.name)
        if fault is not None:
            return ToolResult.error(error_text(fault))
        return observed(
            await self.mcp.execute(tool, arguments, CallContext(state=state, episode_id=world_id))
        )

    async def close(self, world_id: str, state: State) -> None:
        """End the world: its servers stop and their end states go into `state["_mcp"]`."""
        if self.mcp is not None:
            await self.mcp.release(world_id, state)


@dataclass
class Replay:
    end_state: State
    results: list[Any]
    errors: list[bool]


async def replay_blueprint(
    task: Task, tools: Sequence[ToolSpec], toolkits: Sequence[type[Toolkit]] = (), mcp: MCPPool | None = None
) -> Replay:
    """Play the task's blueprint actions on a fresh copy of its initial world."""
    if task.blueprint is None:
        raise ValueError(f"task {task.id} has no blueprint to replay")
    by_name = {t.name: t for t in tools}
    replayer = Replayer(toolkits, mcp)
    state = copy.deepcopy(task.initial_state)
    world_id = f"replay-{task.id}-{next(_WORLD_IDS)}"
    results, errors = [], []
    try:
        for action in task.blueprint.actions:
            if action.name not in by_name:
                raise ValueError(
                    f"blueprint of task {task.id} calls {action.name}, which is not among the tools"
                )
            out = await replayer.arun(by_name[action.name], action.arguments, state, world_id)
            results.append(out.structured if not out.is_error else {"error": out.content})
            errors.append(out.is_error)
    finally:
        await replayer.close(world_id, state)
    return Replay(end_state=state, results=results, errors=errors)


def world_view(state: State) -> State:
    """The records a blueprint may draw from: the simulated collections and those of every
    served world (`_mcp`), side by side."""
    view = {k: v for k, v in state.items() if not k.startswith("_")}
    for doc in (state.get("_mcp") or {}).values():
        for name, coll in doc.items():
            if not name.startswith("_") and isinstance(coll, dict):
                view.setdefault(name, coll)
    return view


# ---- arguments ----------------------------------------------------------------------------------


def _records(value: Any, depth: int = 0, skip: str = "") -> list[dict[str, Any]]:
    """Records inside a result: the object itself, and objects in its lists (one level down),
    those listed under the key `skip` left out."""
    out: list[dict[str, Any]] = []
    if isinstance(value, dict):
        out.append(value)
        if depth < 2:
            for k, v in value.items():
                if isinstance(v, list | dict) and not (skip and k == skip):
                    out += _records(v, depth + 1, skip)
    elif isinstance(value, list) and depth < 2:
        for v in value[:3]:
            out += _records(v, depth + 1, skip)
    return out


def _id_kind(name: str) -> str | None:
    if name.endswith("_id"):
        return name[:-3]
    if name.endswith("Id") and len(name) > 2:
        return name[:-2].lower()
    return None


def _from_results(name: str, prior: list[tuple[Semantics, Any]], skip_kind: str = "") -> tuple[bool, Any]:
    """A value an earlier result holds for `name`, newest first; records of `skip_kind` are passed
    over (an update takes new values, not the ones its own record already has)."""
    kind = _id_kind(name)
    for sem, result in reversed(prior):
        if skip_kind and sem.kind == skip_kind:
            continue
        # nor the records of that kind another result lists (a ticket's `comments`: a new comment
        # copying an old one's body is no new comment)
        for record in _records(result, skip=plural(skip_kind) if skip_kind else ""):
            if name in record and isinstance(record[name], str | int | float):
                return True, record[name]
            if kind is not None and sem.kind == kind and isinstance(record.get("id"), str):
                return True, record["id"]
    return False, None


def _from_state(
    name: str,
    sub: dict[str, Any],
    sem: Semantics,
    state: State,
    rng: random.Random,
    scope: dict[str, Any] | None = None,
    picked: dict[str, Any] | None = None,
) -> tuple[bool, Any]:
    """A value of the world for `name`: an id of its kind, else a field of one record of the
    step's kind. `picked` holds that record across one step's arguments, so filters drawn for one
    call agree (a status and a priority of the same ticket, not of two that nothing matches)."""
    kind = sem.kind if name in ("id", sem.id_param) else _id_kind(name)
    if kind is not None:
        coll = state.get(plural(kind)) or {}
        if coll and isinstance(coll, dict):
            # a record of what the chain already names: an event of the calendar just searched
            ids = sorted(coll)
            records = [{**(coll[i] if isinstance(coll[i], dict) else {}), "id": i} for i in ids]
            return True, rng.choice([r["id"] for r in in_scope(records, scope or {})])
        return False, None
    if sem.effect in ("create", "update"):
        return False, None
    records = [r for r in (state.get(sem.collection) or {}).values() if isinstance(r, dict)]
    if not records:
        return False, None
    picked = {} if picked is None else picked
    if sem.collection not in picked:
        picked[sem.collection] = rng.choice(sorted(records, key=lambda r: str(r.get("id"))))
    record = picked[sem.collection]
    if name in record and isinstance(record[name], str | int | float | bool):
        return True, record[name]
    if name in _QUERY_ARGS:
        for key in _NAME_FIELDS:
            # a word a person would search by: "for" or "a" finds every record
            text = record.get(key)
            said = (
                [w for w in text.split() if len(w) > 2 and w.lower() not in _STOPWORDS]
                if isinstance(text, str)
                else []
            )
            if said:
                return True, rng.choice(said)
    return False, None


@dataclass
class Step:
    tool: ToolSpec
    arguments: dict[str, Any]
    sources: dict[str, Source]
    result: Any = None
    is_error: bool = False


def draw_arguments(
    tool: ToolSpec,
    state: State,
    prior: list[tuple[Semantics, Any]],
    rng: random.Random,
    optional_p: float = 0.25,
    earlier: Earlier = (),
) -> Step:
    """Arguments for `tool` as the next step of a chain: from the results so far (`prior`), then
    what the earlier steps sent (`earlier`: the same calendar, the day of an earlier start), then
    records of the world that belong to what the chain names, and only then new values."""
    sem = semantics(tool)
    results = [result for _, result in prior]
    scope = scope_of(earlier, results)
    schema = tool.input_resolved
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    args: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    picked: dict[str, Any] = {}  # the record this step's fields are drawn from (`_from_state`)
    topic = f"{tool.name} {tool.description}"
    settable = sorted(p for p in props if p != sem.id_param and _id_kind(p) is None)
    for name in sorted(props):
        sub = props[name] if isinstance(props[name], dict) else {}
        # An update sets new values: the record it names comes from what was seen, the values it
        # sets may come from another record (a free slot), never from the record itself.
        # A create likewise takes its own fields new (a copy of the record read is no new one).
        new_value = sem.effect == "update" and name != sem.id_param and _id_kind(name) is None
        own_field = new_value or (sem.effect == "create" and _id_kind(name) is None)
        found, value = _from_results(name, prior, skip_kind=sem.kind if own_field else "")
        source: Source = "result"
        if not found and not new_value:
            found, value, source = _from_chain(name, results, earlier)
        if not found and not new_value:
            found, value = _from_state(name, sub, sem, state, rng, scope, picked)
            source = "state"
        if not found:
            # An update must set something: the last value it could set is never left out.
            sets_nothing_yet = new_value and not any(k in settable for k in args)
            last_chance = sets_nothing_yet and name == settable[-1]
            if name not in required and rng.random() > optional_p and not last_chance:
                continue
            value, source = instance_for(sub, rng, name=name, topic=topic, entity=sem.kind), "user"
        if value is None and name not in required:
            continue  # an optional argument left out, not sent as null
        args[name], sources[name] = value, source
    if sem.effect == "update" and settable and not any(k in args for k in settable):
        # every settable field came out null (an optional `str | None`): an update that changes
        # nothing would teach a call that does nothing, so the last one gets a real value
        name = settable[-1]
        args[name] = instance_for(_not_null(props[name]), rng, name=name, topic=topic, entity=sem.kind)
        sources[name] = "user"
    if sem.effect in ("create", "update"):
        record_id = args.get(sem.id_param) if sem.id_param else None
        before = (state.get(sem.collection) or {}).get(record_id) if isinstance(record_id, str) else None
        fit_span(args, sources, before if isinstance(before, dict) else None, earlier)
    _take_out_what_it_holds(tool, sem, args, sources, state, rng)
    for problem in validate_arguments(tool, args):  # a drawn value that does not fit: redraw it
        key = problem.split(":", 1)[0].split("/", 1)[0]
        if key in args:
            args[key] = instance_for(props.get(key, {}), rng, name=key, topic=topic, entity=sem.kind)
            sources[key] = "user"
    return Step(tool=tool, arguments=args, sources=sources)


_TAKING_OUT = ("remove", "detach", "drop", "untag", "unassign", "unlink", "unsubscribe")


def _take_out_what_it_holds(
    tool: ToolSpec,
    sem: Semantics,
    args: dict[str, Any],
    sources: dict[str, Source],
    state: State,
    rng: random.Random,
) -> None:
    """A call that takes something out of a record takes what the record holds: untag_ticket a tag
    the ticket has, remove_attendee an attendee of the event (a fresh value is refused every time,
    and the call never reaches a kept trajectory)."""
    verb, *rest = words(tool.name) or [""]
    record_id = args.get(sem.id_param) if sem.id_param else None
    record = (state.get(sem.collection) or {}).get(record_id) if isinstance(record_id, str) else None
    if verb not in _TAKING_OUT or not isinstance(record, dict):
        return
    for name in list(args):
        if name == sem.id_param:
            continue
        for field_name in (plural(name), *(plural(w) for w in rest)):
            held = record.get(field_name)
            if isinstance(held, list) and held and all(isinstance(x, str | int) for x in held):
                args[name], sources[name] = rng.choice(sorted(held, key=str)), "state"
                break


def _from_chain(name: str, results: list[Any], earlier: Earlier) -> tuple[bool, Any, Source]:
    """What an earlier step sent for `name`, or the day of an earlier start, with its source."""
    found, value, source = earlier_argument(name, earlier)
    if not found:
        found, value, source = day_of_earlier(name, results, earlier)
    known: Source = "result" if source == "result" else "state" if source == "state" else "user"
    return found, value, known


def _not_null(schema: Any) -> Any:
    """`schema` without its null alternative (`anyOf: [T, null]`, `type: [T, "null"]`)."""
    if not isinstance(schema, dict):
        return schema
    for key in ("anyOf", "oneOf"):
        options = [o for o in schema.get(key, []) if not (isinstance(o, dict) and o.get("type") == "null")]
        if options:
            return options[0]
    kinds = schema.get("type")
    if isinstance(kinds, list) and "null" in kinds and len(kinds) > 1:
        return {**schema, "type": [k for k in kinds if k != "null"]}
    return schema


# ---- chains -------------------------------------------------------------------------------------


@dataclass
class Built:
    steps: list[Step]
    initial_state: State
    end_state: State
    faults: list[dict[str, Any]] = field(default_factory=list)
    # A value the user first gets wrong (argument → the mistaken value): the world rejects the
    # call, the assistant asks, the user corrects it (a domain error that needs a question).
    mistakes: dict[str, Any] = field(default_factory=dict)
    # A domain recovery (recoveries.py): its kind, the values the user first asked for
    # (`told`), and what the assistant says after the error (`note`) and before the write that
    # recovers (`proposal`, before action `propose_at`).
    recovery: dict[str, Any] | None = None

    def user_facts(self) -> dict[str, Any]:
        """What the user must supply: every argument not taken from an earlier result."""
        facts: dict[str, Any] = {}
        for step in self.steps:
            for name, source in step.sources.items():
                if source == "result" or step.is_error:
                    continue
                value = step.arguments[name]
                if isinstance(value, bool) or value is None:
                    continue  # a switch is the assistant's choice, not a fact the user holds
                key = name if facts.get(name, value) == value else f"{name}_for_the_{_object(step.tool.name)}"
                facts[key] = value
        return facts

    def actions(self) -> list[ExpectedCall]:
        return [ExpectedCall(name=s.tool.name, arguments=s.arguments) for s in self.steps]

    def results(self) -> list[Any]:
        return [s.result for s in self.steps]


def _object(tool_name: str) -> str:
    """What a tool acts on, as a user names it: `create_event` → "event" (a second value of an
    argument is "the calendar id for the event", never the tool's name)."""
    ws = words(tool_name)
    return "_".join(ws[1:]) or tool_name


TRANSIENT_ERRORS = (
    "Service temporarily unavailable (503). Please retry.",
    "Request timed out after 30 s; the call had no effect. Please retry.",
    "Rate limit exceeded (429): try again in a moment.",
)


async def execute_chain(
    chain: Sequence[ToolSpec],
    initial_state: State,
    rng: random.Random,
    replayer: Replayer,
    fault_first: bool = False,
    world: World | None = None,
    mistake: bool = False,
) -> Built | None:
    """Draw arguments for each tool of `chain` from the world and run it there; None when a call
    fails (another seed will do). With `fault_first` the first call meets an injected transient
    failure and is retried; with `mistake` the user first gives a wrong id, which the world
    rejects, and then the right one. `world` is the served world to run on (a fresh one when None); the
    caller may hand an untouched world to the next try (`World.touched`)."""
    start = copy.deepcopy(initial_state)
    faults: list[dict[str, Any]] = []
    if fault_first and chain:
        faults = [{"tool": chain[0].name, "error": rng.choice(TRANSIENT_ERRORS), "times": 1}]
        start["_faults"] = copy.deepcopy(faults)
    state = copy.deepcopy(start)
    view = world_view(state)
    prior: list[tuple[Semantics, Any]] = []
    steps: list[Step] = []
    own = world is None
    world = world or World()
    mistakes: dict[str, Any] = {}
    try:
        for i, tool in enumerate(chain):
            earlier = [(s.arguments, dict(s.sources)) for s in steps if not s.is_error]
            step = draw_arguments(
                tool, view if replayer.on_server(tool) else state, prior, rng, earlier=earlier
            )
            if mistake and not mistakes and (wrong := _mistaken(step, view)) is not None:
                name, value = wrong
                bad = {**step.arguments, name: value}
                out = await replayer.arun(tool, bad, state, world.id)
                if not out.is_error:
                    return None  # the world took the wrong value: no lesson in it
                world.touched |= replayer.on_server(tool) and semantics(tool).mutates
                steps.append(Step(tool, bad, step.sources, {"error": out.content}, True))
                mistakes[name] = value
            out = await replayer.arun(tool, step.arguments, state, world.id)
            if out.is_error and fault_first and i == 0:
                failed = Step(tool, step.arguments, step.sources, {"error": out.content}, True)
                steps.append(failed)
                out = await replayer.arun(tool, step.arguments, state, world.id)
            if out.is_error:
                return None
            world.touched |= replayer.on_server(tool) and semantics(tool).mutates
            step.result = out.structured
            steps.append(step)
            prior.append((semantics(tool), out.structured))
        await replayer.close(world.id, state)
        world.closed = True
    finally:
        if own and not world.closed:
            await replayer.close(world.id, state)
    if mistake and not mistakes:
        return None
    return Built(steps=steps, initial_state=start, end_state=state, faults=faults, mistakes=mistakes)


def _mistaken(step: Step, view: State) -> tuple[str, str] | None:
    """An id the user knows (not from a result) changed into a plausible one the world does not
    have: a digit off (`ord_0902` → `ord_0920`) or two letters swapped (`prd_lamp` → `prd_lmap`)."""
    known = {rid for coll in view.values() if isinstance(coll, dict) for rid in coll}
    for name in sorted(step.arguments):
        value = step.arguments[name]
        if step.sources.get(name) == "result" or _id_kind(name) is None or not isinstance(value, str):
            continue
        head, _, tail = value.rpartition("_")
        if len(tail) < 3:
            continue
        if tail.isdigit():  # a digit slipped: 0902 → 9020, 0002 → 0020
            swapped = tail[1:] + tail[0] if len(set(tail)) > 1 else str(int(tail) + 7).zfill(len(tail))
        else:  # two letters swapped: lamp → lmap
            swapped = tail[:-3] + tail[-2] + tail[-3] + tail[-1]
        wrong = f"{head}_{swapped}" if head else swapped
        if wrong != value and wrong not in known:
            return name, wrong
    return None


@dataclass
class World:
    """One fresh copy of the served worlds a chain runs on. A try that failed before any of its
    calls could change the world (reads only; a failed call changes nothing) leaves it untouched,
    so the next try can run on it instead of starting the servers again."""

    id: str = field(default_factory=lambda: f"blueprint-{next(_WORLD_IDS)}")
    touched: bool = False
    closed: bool = False


# ---- initial state ------------------------------------------------------------------------------


def seed_state(
    tools: Sequence[ToolSpec],
    rng: random.Random,
    toolkits: Sequence[type[Toolkit]] = (),
    per_kind: int = 3,
    worlds: dict[str, State] | None = None,
) -> State:
    """A starting world for `tools`: each toolkit's default world, the seeded world of each real
    server that serves some of them (`worlds`: server id → its fresh state, kept under `_mcp`),
    and for simulated tools a few records of every entity kind they read, change or reference by
    id, shaped like what a read of that kind returns (else like what its create takes), foreign
    keys pointing at real ids."""
    names = {t.name for t in tools}
    worlds = worlds or {}
    state: State = {}
    for kit in toolkits:
        if names & set(kit.methods()):
            state.update(kit.initial_state())
    served = sorted({t.origin for t in tools if t.source == "mcp" and t.origin in worlds})
    if served:
        state["_mcp"] = {origin: copy.deepcopy(worlds[origin]) for origin in served}
    simulated = [t for t in tools if t.source != "python" and not (t.source == "mcp" and t.origin in worlds)]
    shapes: dict[str, dict[str, Any]] = {}
    for tool in sorted(simulated, key=lambda t: t.name):
        sem = semantics(tool)
        kinds = {sem.kind} if sem.effect != "create" else set()
        kinds |= {k for p in tool.input_schema.get("properties", {}) if (k := _id_kind(p))}
        for kind in kinds:
            shapes.setdefault(kind, {})
        if sem.effect in ("read", "list") and tool.output_schema and not shapes.get(sem.kind):
            shapes[sem.kind] = tool.output_resolved
        if sem.effect == "create" and not shapes.get(sem.kind):
            shapes[sem.kind] = tool.input_resolved
    for kind in sorted(shapes):
        coll_name = plural(kind)
        if coll_name in state:
            continue
        coll: dict[str, Any] = {}
        for n in range(1, per_kind + 1):
            shape = shapes[kind]
            value = instance_for(shape, rng, optional_p=0.6, name=kind, topic=kind) if shapes[kind] else {}
            records = [r for r in _records(value) if "id" in r] or _records(value) or [{}]
            record = {k: v for k, v in records[0].items() if not isinstance(v, list | dict)}
            record["id"] = f"{kind}_{n:04d}"
            coll[record["id"]] = record
        state[coll_name] = coll
    for coll_name, coll in list(state.items()):
        if coll_name.startswith("_") or not isinstance(coll, dict):
            continue  # bookkeeping, and the served worlds (their records are the servers' own)
        for record in coll.values():
            for key in list(record) if isinstance(record, dict) else []:
                kind = _id_kind(key)
                target = state.get(plural(kind)) if kind else None
                if target is coll:  # a record's own `<kind>_id` is its id, not a link
                    record[key] = record.get("id", record[key])
                elif target and isinstance(target, dict):
                    record[key] = rng.choice(sorted(target))
    return state
