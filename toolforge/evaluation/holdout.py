"""Our own held-out split in BFCL's layout: the accepted trajectories of domains the training
export leaves out.

Each trajectory becomes one case: the conversation up to the agent's first tool call (its system
prompt with the policies, the user's opening, and any confirmation or clarification exchange before
the call), the tools it was offered as BFCL function docs, and as the answer that first call (or the
calls it made together), kept only when every argument value was said in the conversation (a call
that needs an id from a result cannot be made from the text). A case therefore asks for what the
accepted agent did at that point, in the context it had: a write comes after the user's yes, as the
policies demand, not as a one-turn command. One expected call is `simple` (one tool offered) or
`multiple`; several are `parallel` (one tool) or `parallel_multiple`. Arguments the call leaves out
are answered `[""]`: they may be omitted.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolforge.core.json_leaves import leaves

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


def _stated(value: Any, text: str) -> bool:
    """Every scalar inside `value` appears in the question (a number as written, a string any case)."""
    lowered = text.lower()
    return all(isinstance(leaf, bool) or str(leaf).lower() in lowered for leaf in leaves(value))


def _said(messages: list[dict[str, Any]]) -> str:
    """What the system prompt and the user said so far (not the assistant: it must not invent)."""
    return " ".join(str(m.get("content") or "") for m in messages if m.get("role") in ("system", "user"))


def _first_calls(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The messages before the agent's first tool call, and that call's function parts."""
    for i, message in enumerate(messages):
        if message.get("role") == "assistant" and message.get("tool_calls"):
            return messages[:i], [c["function"] for c in message["tool_calls"]]
    return messages, []


def _function_doc(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool.get("function", tool)
    schema = function.get("parameters") or {}
    params = bfcl_parameter(schema)
    params["type"] = "dict"
    params.setdefault("properties", {})
    params["required"] = list(schema.get("required", []))
    return {"name": function["name"], "description": function.get("description", ""), "parameters": params}


def _answer(name: str, arguments: dict[str, Any], doc: dict[str, Any]) -> dict[str, dict[str, list[Any]]]:
    values = {k: [v] for k, v in arguments.items()}
    values.update({k: [""] for k in doc["parameters"]["properties"] if k not in arguments})
    return {name: values}


def _category(calls: list[dict[str, Any]], offered: int) -> str:
    if len(calls) == 1:
        return "simple" if offered == 1 else "multiple"
    return "parallel" if offered == 1 and len({c["name"] for c in calls}) == 1 else "parallel_multiple"


def heldout_cases(rows: Iterable[dict[str, Any]], seen_tools: Collection[str] = ()) -> HeldoutSplit:
    """One case per exported OpenAI row (`id`, `messages`, `tools`) whose first call can be made
    from what was said and calls none of `seen_tools` (the tools the training rows offer); the
    others are counted under the reason they were skipped."""
    split = HeldoutSplit()
    for row in rows:
        prefix, calls = _first_calls(row["messages"])
        if not calls:
            split.skipped["the agent made no tool call"] += 1
            continue
        if any(c["name"] in seen_tools for c in calls):
            split.skipped["the first call is to a tool the training rows offer"] += 1
            continue
        arguments = [json.loads(c.get("arguments") or "{}") for c in calls]
        if not all(_stated(a, _said(prefix)) for a in arguments):
            split.skipped["the first call needs a value the conversation does not state"] += 1
            continue
        docs = {d["name"]: d for d in map(_function_doc, row["tools"])}
        if any(c["name"] not in docs for c in calls):
            split.skipped["the first call names a tool the agent was not offered"] += 1
            continue
        case_id = f"{_category(calls, len(docs))}_{row['id']}"
        messages = [{"role": m["role"], "content": m.get("content") or ""} for m in prefix]
        split.questions.append({"id": case_id, "question": [messages], "function": list(docs.values())})
        answer = [_answer(c["name"], a, docs[c["name"]]) for c, a in zip(calls, arguments, strict=True)]
        split.answers.append({"id": case_id, "ground_truth": answer})
    return split
