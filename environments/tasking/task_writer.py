"""Tasks written whole by the task-writer model (`TaskGenConfig.writer="llm_free"`): the goal, the
facts only the user knows, the rubric and the calls that should solve it, for an agent and a
seeded world. The written calls are then checked and run on the schema simulator (and toolkits):
when every call validates and succeeds they become the task's blueprint, with its expected end
state; otherwise the task keeps its rubric and has no blueprint (`metadata["blueprint_error"]`)."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from environments.episodes.executors.validate import validate_arguments
from environments.episodes.state import State
from environments.episodes.toolkit import Toolkit
from environments.tasking.blueprints import Replayer, seed_state
from toolforge.core.ids import digest
from toolforge.core.types import Agent, Blueprint, Difficulty, ExpectedCall, Rubric, Task, ToolSpec, UserGoal

DIFFICULTY_BRIEF = {
    "single_call": "one tool call solves it",
    "multi_call": "it needs 2-3 tool calls where a later call uses a value an earlier call returns",
    "clarification": "the user's opening message leaves out facts the assistant must ask for",
    "recovery": "the first tool call will fail transiently; the assistant must retry it",
}


class DraftCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="a tool name from the list")
    arguments: dict[str, Any] = Field(default_factory=dict)


class TaskDraft(BaseModel):
    """A whole task as the task-writer model writes it."""

    model_config = ConfigDict(extra="forbid")
    description: str = Field(description="the user's goal, second person")
    persona: str
    style: str
    known_facts: dict[str, str] = Field(description="facts only the user knows (ids, names, values)")
    opening_message: str
    expected_calls: list[DraftCall] = Field(description="the tool calls that solve the task, in order")
    success_criteria: list[str]
    checkpoints: list[str]
    final_reply: str


def _world_summary(state: State, per_collection: int = 3) -> dict[str, Any]:
    return {
        k: dict(list(v.items())[:per_collection])
        for k, v in state.items()
        if not k.startswith("_") and isinstance(v, dict)
    }


def writer_messages(
    agent: Agent, tools: Sequence[ToolSpec], state: State, difficulty: Difficulty
) -> list[dict[str, str]]:
    listing = [{"name": t.name, "description": t.description, "parameters": t.input_schema} for t in tools]
    return [
        {
            "role": "system",
            "content": "You write realistic tasks for training tool-using assistants. Write one task "
            f"for the assistant below such that {DIFFICULTY_BRIEF[difficulty]}. Use only the listed "
            "tools and only ids and values that exist in the world state or that the user states as "
            "a known fact. The expected calls must be exactly the calls that solve the task.",
        },
        {
            "role": "user",
            "content": json.dumps(
                {"assistant": agent.system_prompt, "tools": listing, "world_state": _world_summary(state)},
                ensure_ascii=False,
            ),
        },
    ]


def task_from_draft(
    agent: Agent,
    tools: Sequence[ToolSpec],
    difficulty: Difficulty,
    seed: int,
    draft: TaskDraft,
    state: State,
    model: str,
    toolkits: Sequence[type[Toolkit]] = (),
) -> Task:
    by_name = {t.name: t for t in tools}
    actions = [ExpectedCall(name=c.name, arguments=c.arguments) for c in draft.expected_calls]
    initial = copy.deepcopy(state)
    if difficulty == "recovery" and actions:
        initial["_faults"] = [
            {
                "tool": actions[0].name,
                "error": "Service temporarily unavailable (503). Please retry.",
                "times": 1,
            }
        ]
        actions = [actions[0], *actions]
    problem = _check(actions, by_name)
    blueprint = None
    if problem is None:
        world = copy.deepcopy(initial)
        replayer = Replayer(toolkits)
        results = []
        for i, action in enumerate(actions):
            out = replayer.run(by_name[action.name], action.arguments, world)
            if out.is_error and not (difficulty == "recovery" and i == 0):
                problem = f"call {i + 1} ({action.name}) fails on the simulator: {out.content}"
                break
            results.append({"error": out.content} if out.is_error else out.structured)
        if problem is None:
            blueprint = Blueprint(
                actions=actions,
                expected_end_state=world,
                expected_results=results,
                final_reply=draft.final_reply,
            )
    withheld = sorted(k for k, v in draft.known_facts.items() if str(v) not in draft.opening_message)
    return Task(
        agent_id=agent.id,
        user_goal=UserGoal(
            description=draft.description,
            known_facts=dict(draft.known_facts),
            persona=draft.persona,
            style=draft.style,
            opening_message=draft.opening_message,
        ),
        difficulty=difficulty,
        rubric=Rubric(
            success_criteria=draft.success_criteria,
            expected_tool_pattern=actions,
            checkpoints=draft.checkpoints,
        ),
        initial_state=initial,
        blueprint=blueprint,
        source=model,
        seed=seed,
        domain=agent.domain,
        metadata={
            "writer": "llm_free",
            "withheld_facts": withheld if difficulty == "clarification" else [],
            "chain": [a.name for a in actions],
            **({"blueprint_error": problem} if problem else {}),
        },
    )


def _check(actions: list[ExpectedCall], by_name: dict[str, ToolSpec]) -> str | None:
    if not actions:
        return "the writer gave no expected calls"
    for i, action in enumerate(actions):
        if action.name not in by_name:
            return f"call {i + 1} names {action.name!r}, which the agent does not have"
        errors = validate_arguments(by_name[action.name], action.arguments)
        if errors:
            return f"call {i + 1} ({action.name}) has invalid arguments: {'; '.join(errors)}"
    return None


async def write_task(
    llm: Any,
    cfg: Any,
    agent: Agent,
    tools: Sequence[ToolSpec],
    difficulty: Difficulty,
    seed: int,
    toolkits: Sequence[type[Toolkit]] = (),
) -> Task:
    """One model-written task; raises StructuredOutputError (stored by the LLM layer) on failure."""
    rng = random.Random(int(digest([agent.id, difficulty, seed, "llm_free"]), 16))
    state = seed_state(tools, rng, toolkits)
    draft: TaskDraft = await llm.structured(
        cfg,
        writer_messages(agent, tools, state, difficulty),
        TaskDraft,
        role="task_writer",
        cache_salt=f"{seed}",
        item_id=f"{agent.id}/{difficulty}/{seed}",
    )
    return task_from_draft(agent, tools, difficulty, seed, draft, state, cfg.model, toolkits)
