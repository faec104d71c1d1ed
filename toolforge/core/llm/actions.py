"""Tool calling in `json` mode (DESIGN §4): the action schema, the prompt that explains it, the
history rewritten for models without native tools, and the reply turned back into a Message.

Both modes produce the same Message: tool-call ids are derived from the conversation position,
the call's index, name and arguments, and arguments are re-serialised the same way."""

from __future__ import annotations

import json
from typing import Any

from toolforge.core.ids import digest
from toolforge.core.llm.completion import canonical_arguments
from toolforge.core.types import FunctionCall, Message, ToolCall, ToolSpec

JSON_MODE_INSTRUCTIONS = (
    "You can call tools. Answer with exactly one JSON object and nothing else: either "
    '{"tool_calls": [{"name": <tool name>, "arguments": {...}}, ...]} to call one or more tools, '
    'or {"reply": <text>} to answer the user. The tools, with their JSON-schema parameters:\n'
)


def action_schema(tools: list[ToolSpec]) -> dict[str, Any]:
    """`{"tool_calls": [...]}` (names and arguments constrained per tool) or `{"reply": str}`."""
    call_schemas = [
        {
            "type": "object",
            "properties": {"name": {"const": t.name}, "arguments": t.input_schema},
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }
        for t in tools
    ]
    reply = {
        "type": "object",
        "properties": {"reply": {"type": "string"}},
        "required": ["reply"],
        "additionalProperties": False,
    }
    if not call_schemas:
        return reply
    calls = {
        "type": "object",
        "properties": {
            "tool_calls": {"type": "array", "minItems": 1, "items": {"anyOf": call_schemas}},
        },
        "required": ["tool_calls"],
        "additionalProperties": False,
    }
    return {"anyOf": [calls, reply]}


def json_mode_messages(messages: list[Message], tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """The conversation for a model without native tools: tool calls and results as plain text."""
    catalog = json.dumps(
        [{"name": t.name, "description": t.description, "parameters": t.input_schema} for t in tools],
        ensure_ascii=False,
    )
    instructions = JSON_MODE_INSTRUCTIONS + catalog
    out: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for m in messages:
        if m.role == "assistant" and m.tool_calls:
            calls = [{"name": c.name, "arguments": _loads_or_raw(c.function.arguments)} for c in m.tool_calls]
            names.update({c.id: c.name for c in m.tool_calls})
            out.append(
                {"role": "assistant", "content": json.dumps({"tool_calls": calls}, ensure_ascii=False)}
            )
        elif m.role == "assistant":
            out.append(
                {"role": "assistant", "content": json.dumps({"reply": m.content or ""}, ensure_ascii=False)}
            )
        elif m.role == "tool":
            name = m.name or names.get(m.tool_call_id or "", "tool")
            status = " (error)" if m.is_error else ""
            out.append({"role": "user", "content": f"Result of {name}{status}:\n{m.content or ''}"})
        else:
            out.append({"role": m.role, "content": m.content or ""})
    if out and out[0]["role"] == "system":
        out[0] = {"role": "system", "content": f"{out[0]['content']}\n\n{instructions}"}
    else:
        out.insert(0, {"role": "system", "content": instructions})
    return out


def parse_action(text: str | None, tools: list[ToolSpec]) -> tuple[str | None, list[tuple[str, str]]]:
    """(reply text, [(name, arguments JSON)]) from a json-mode reply; ValueError says what is wrong."""
    try:
        value = json.loads(text or "")
    except ValueError as exc:
        raise ValueError(f"the reply is not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise ValueError("the reply is not a JSON object")
    if "tool_calls" in value:
        calls = value["tool_calls"]
        if not isinstance(calls, list) or not calls:
            raise ValueError('"tool_calls" must be a non-empty list')
        known = {t.name for t in tools}
        out = []
        for call in calls:
            if not isinstance(call, dict) or not isinstance(call.get("name"), str):
                raise ValueError('each tool call needs a "name" and "arguments"')
            if call["name"] not in known:
                raise ValueError(f"unknown tool {call['name']!r}; the tools are {sorted(known)}")
            arguments = call.get("arguments", {})
            if not isinstance(arguments, dict):
                raise ValueError(f'"arguments" of {call["name"]} must be a JSON object')
            out.append((call["name"], json.dumps(arguments, ensure_ascii=False)))
        return None, out
    if isinstance(value.get("reply"), str):
        return value["reply"], []
    raise ValueError('the object needs "tool_calls" or "reply"')


def assistant_message(turn: int, text: str | None, calls: list[tuple[str, str]]) -> Message:
    """The recorded assistant turn, with deterministic call ids."""
    tool_calls = [
        ToolCall(
            id=f"call_{digest([turn, i, name, canonical_arguments(args)], length=24)}",
            function=FunctionCall(name=name, arguments=canonical_arguments(args)),
        )
        for i, (name, args) in enumerate(calls)
    ]
    return Message(role="assistant", content=text or None, tool_calls=tool_calls or None)


def _loads_or_raw(arguments: str) -> Any:
    try:
        return json.loads(arguments or "{}")
    except ValueError:
        return arguments
