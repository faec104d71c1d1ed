"""The world-model simulator (K2 §3.1.1): a model renders each tool result from the tool specs,
the hidden world state and the call history, and proposes a state delta that Python applies.

Controlled stochasticity: the outcome class — ok, partial, error or edge case — is drawn first
from the configured mix (with the episode's seeded random stream, so a re-run draws the same),
and the model is told which one to render.

The model works on the episode's entity store, the same one the schema simulator keeps: its
prompt holds the records the call touches (`world_view`), and its answer goes back through the
store's CRUD rules (`environments.episodes.executors.world.play`): a record read by id is shown as stored
(what the model adds about fields the store lacks is kept, so a later read — by the model or by
the schema simulator — agrees); an id the world does not hold in a kind it keeps is "not found";
a create stores the call's arguments under an id Python assigns; an update changes what the call
sets; a read changes nothing else; results are fitted to the output schema; an `error` outcome
never changes the state.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from environments.episodes.config import Outcome, OutcomeMix
from environments.episodes.errors import InfraError
from environments.episodes.executors.base import CallContext, ToolResult
from environments.episodes.executors.semantics import semantics
from environments.episodes.executors.store import ref_kind
from environments.episodes.executors.world import Proposal, play
from environments.episodes.state import Delete, State, Upsert, collections, plural
from toolforge.core.errors import StructuredOutputError
from toolforge.core.llm.config import LLMConfig
from toolforge.core.llm.protocols import StructuredModel
from toolforge.core.types import ToolSpec

OUTCOME_GUIDE = {
    "ok": "The call succeeds normally and returns a complete, realistic result.",
    "partial": "The call only partly succeeds: some items missing, a warning, truncated or "
    "incomplete data — but it is not an error.",
    "error": "The call fails with a realistic error (validation, permission, conflict, rate limit, "
    "unavailable). Write the error message in `error`. Change nothing.",
    "edge": "The call succeeds but hits an edge case: an empty result, a boundary value, an "
    "unusual but valid state.",
}
HISTORY_CALLS = 12
SYSTEM_PROMPTS: dict[str, str] = {
    outcome: "You are the world model behind a set of tools. Given the hidden world state "
    "({collection: {id: record}}), the calls made so far and a new call, return the tool's "
    "result and the records it creates, changes or removes. Stay consistent with the state "
    "and the history; never contradict a stored record. "
    f"Outcome to render: {outcome.upper()} — {guide}"
    for outcome, guide in OUTCOME_GUIDE.items()
}


class SimulatedCall(BaseModel):
    """The world model's answer for one call."""

    model_config = ConfigDict(extra="forbid")
    result: Any = Field(default=None, description="the tool's output as JSON, fitting its output schema")
    error: str = Field(default="", description="for the error outcome: the error message")
    upserts: list[Upsert] = Field(default_factory=list, description="records created or changed")
    deletes: list[Delete] = Field(default_factory=list, description="records removed")


GOLDEN = 0.6180339887498949


def draw_outcome(mix: OutcomeMix, ctx: CallContext) -> Outcome:
    """The outcome class of the episode's next simulated call. The uniform draws form a Weyl
    sequence (a random start from the episode's seeded stream, then steps of the golden ratio):
    each call's class is random, yet the classes' frequencies track the configured mix closely
    within an episode and across many — controlled stochasticity, with no long error streaks."""
    if ctx.outcome_offset is None:
        ctx.outcome_offset = ctx.rng.random()
    x = (ctx.outcome_offset + ctx.outcome_draws * GOLDEN) % 1.0
    ctx.outcome_draws += 1
    for name, p in mix.as_dict().items():
        if x < p:
            return name
        x -= p
    return "ok"


MAX_RECORDS = 40


def world_view(tool: ToolSpec, arguments: dict[str, Any], state: State) -> dict[str, Any]:
    """The part of the hidden state the model needs: the records of the kinds this call touches
    (its own kind and every `<kind>_id` argument), the records the call names by id first, and
    only the ids of the other kinds."""
    sem = semantics(tool)
    named: dict[str, set[str]] = {sem.collection: set()}
    for param, value in arguments.items():
        kind = sem.kind if param == sem.id_param else ref_kind(param)
        if kind is not None:
            named.setdefault(plural(kind), set()).add(str(value))
    view: dict[str, Any] = {}
    for name, coll in collections(state).items():
        if name in named:
            first = [k for k in coll if k in named[name]]
            rest = [k for k in coll if k not in named[name]][: max(MAX_RECORDS - len(first), 0)]
            view[name] = {k: coll[k] for k in first + rest}
        else:
            view[name] = {"ids": sorted(coll)[:MAX_RECORDS]}
    return view


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _spec_json(tool: ToolSpec) -> str:
    spec = {
        "name": tool.name,
        "description": tool.description,
        "input_schema": tool.input_schema,
        "output_schema": tool.output_schema,
    }
    return _dumps(spec)


def call_json(tool: ToolSpec, arguments: dict[str, Any], ctx: CallContext) -> str:
    """`{"tool": spec, "world_state": ..., "history": ..., "call": arguments}` as `json.dumps`
    writes it."""
    world = world_view(tool, arguments, ctx.state)
    history = [
        {"tool": h.name, "arguments": h.arguments, "result": h.result, "is_error": h.is_error}
        for h in ctx.history[-HISTORY_CALLS:]
    ]
    return (
        f'{{"tool": {_spec_json(tool)}, "world_state": {_dumps(world)}, '
        f'"history": {_dumps(history)}, "call": {_dumps(arguments)}}}'
    )


def _prompt(
    tool: ToolSpec, arguments: dict[str, Any], ctx: CallContext, outcome: Outcome
) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM_PROMPTS[outcome]},
        {"role": "user", "content": call_json(tool, arguments, ctx)},
    ]


class WorldModelSimulator:
    kind = "world_model"

    def __init__(self, llm: StructuredModel, cfg: LLMConfig, mix: OutcomeMix | None = None) -> None:
        self.llm = llm
        self.cfg = cfg
        self.mix = mix or OutcomeMix()

    async def execute(self, tool: ToolSpec, arguments: dict[str, Any], ctx: CallContext) -> ToolResult:
        outcome = draw_outcome(self.mix, ctx)
        call_index = len(ctx.history)
        try:
            sim: SimulatedCall = await self.llm.structured(
                self.cfg,
                _prompt(tool, arguments, ctx, outcome),
                SimulatedCall,
                role="tool_simulator",
                cache_salt=f"{ctx.episode_id}:{call_index}:{outcome}",
                item_id=f"{ctx.episode_id}:{call_index}",
            )
        except StructuredOutputError as exc:
            raise InfraError(f"world model gave no usable result for {tool.name}: {exc}") from exc
        result = ground(tool, arguments, ctx.state, sim, outcome)
        result.meta["outcome"] = outcome
        return result


def ground(
    tool: ToolSpec, arguments: dict[str, Any], state: State, sim: SimulatedCall, outcome: Outcome
) -> ToolResult:
    """Apply the model's answer to the state under the store's rules (those of the schema simulator)."""
    if outcome == "error":
        return ToolResult.error(sim.error or f"{tool.name} failed")
    return play(tool, arguments, state, Proposal(result=sim.result, upserts=sim.upserts, deletes=sim.deletes))
