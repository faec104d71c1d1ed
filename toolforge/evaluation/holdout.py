"""Our own held-out split in BFCL's layout: tasks of domains the training export leaves out.

Each blueprint task of a held-out domain becomes one case: the user's opening message (with any
fact the user knows but did not say appended, since a one-turn case cannot ask back), the agent's
tools as BFCL function docs, and as the answer the blueprint's leading calls whose every argument
value the question states (a later call that needs an id from a result cannot be made in one turn).
One expected call is `simple` (one tool offered) or `multiple`; several are `parallel` (one tool)
or `parallel_multiple`. Arguments the call leaves out are answered `[""]`: they may be omitted.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolforge.core.store import Store
from toolforge.core.types import Agent, ExpectedCall, Task, ToolSpec

HELDOUT_FILE = "BFCL_toolforge_heldout.json"

_BFCL_TYPE = {
    "object": "dict",
    "number": "float",
    "integer": "integer",
    "string": "string",
    "boolean": "boolean",
    "array": "array",
}


@dataclass
class HeldoutSplit:
    questions: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def write(self, folder: Path) -> tuple[Path, Path]:
        """`folder/BFCL_toolforge_heldout.json` and its `possible_answer/` twin, as BFCL lays them out."""
        question_path = folder / HELDOUT_FILE
        answer_path = folder / "possible_answer" / HELDOUT_FILE
        for path, rows in ((question_path, self.questions), (answer_path, self.answers)):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
            os.replace(tmp, path)
        return question_path, answer_path


def bfcl_parameter(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON-Schema node as a BFCL parameter doc (a type it cannot name becomes `any`)."""
    kind = schema.get("type")
    out: dict[str, Any] = {"type": _BFCL_TYPE.get(kind, "any") if isinstance(kind, str) else "any"}
    for key in ("description", "enum", "default"):
        if key in schema:
            out[key] = schema[key]
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {
            k: bfcl_parameter(v) for k, v in schema["properties"].items() if isinstance(v, dict)
        }
    if isinstance(schema.get("items"), dict):
        out["items"] = bfcl_parameter(schema["items"])
    return out


def function_doc(tool: ToolSpec) -> dict[str, Any]:
    params = bfcl_parameter(tool.input_schema)
    params["type"] = "dict"
    params.setdefault("properties", {})
    params["required"] = list(tool.input_schema.get("required", []))
    return {"name": tool.name, "description": tool.description, "parameters": params}


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _stated(value: Any, text: str) -> bool:
    """Every scalar inside `value` appears in the question (a number as written, a string any case)."""
    lowered = text.lower()
    return all(isinstance(leaf, bool) or str(leaf).lower() in lowered for leaf in _leaves(value))


def question_text(task: Task) -> str:
    goal = task.user_goal
    text = goal.opening_message or goal.description
    unsaid = {k: v for k, v in goal.known_facts.items() if not _stated(v, text)}
    if unsaid:
        text += " (" + "; ".join(f"{k}: {v}" for k, v in unsaid.items()) + ")"
    return text


def _answer(action: ExpectedCall, tool: ToolSpec) -> dict[str, dict[str, list[Any]]]:
    properties = tool.input_schema.get("properties", {})
    values = {name: [value] for name, value in action.arguments.items()}
    values.update({name: [""] for name in properties if name not in action.arguments})
    return {action.name: values}


def _category(calls: list[ExpectedCall], tools: list[ToolSpec]) -> str:
    if len(calls) == 1:
        return "simple" if len(tools) == 1 else "multiple"
    return "parallel" if len(tools) == 1 and len({c.name for c in calls}) == 1 else "parallel_multiple"


def heldout_split(store: Store, domains: list[str]) -> HeldoutSplit:
    """The cases of every blueprint task whose domain is in `domains`, ordered by id."""
    split = HeldoutSplit()
    agents = {a.id: a for a in store.list(Agent)}
    tools = {t.id: t for t in store.list(ToolSpec)}
    for task in sorted(store.list(Task), key=lambda t: t.id):
        agent = agents.get(task.agent_id)
        domain = task.domain or (agent.domain if agent else "")
        if domain not in domains:
            continue
        if agent is None or task.blueprint is None or not task.blueprint.actions:
            split.skipped["no blueprint"] += 1
            continue
        offered = [tools[i] for i in agent.tool_ids if i in tools]
        by_name = {t.name: t for t in offered}
        text = question_text(task)
        calls: list[ExpectedCall] = []
        for action in task.blueprint.actions:
            if action.name not in by_name or not _stated(action.arguments, text):
                break
            calls.append(action)
        if not calls:
            split.skipped["first call needs a value the question does not state"] += 1
            continue
        category = _category(calls, offered)
        case_id = f"{category}_{task.id}"
        split.questions.append(
            {
                "id": case_id,
                "question": [[{"role": "user", "content": text}]],
                "function": [function_doc(t) for t in offered],
            }
        )
        split.answers.append({"id": case_id, "ground_truth": [_answer(c, by_name[c.name]) for c in calls]})
    return split
