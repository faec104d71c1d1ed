"""Tool calls read back from a model's raw text, for models run without a provider's tool API.

Three formats, tried in this order:

- Kimi K2's sections (what `trainer/` checkpoints emit):
  `<|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:0<|tool_call_argument_begin|>{json}<|tool_call_end|>…`;
- tool-call tags as most open chat templates write them (Qwen, Hermes, SmolLM3, the trainer's
  fallback template): `<tool_call>{"name": …, "arguments": {…}}</tool_call>`, one per call;
- a bare JSON answer: `{"name": …, "arguments": …}`, a list of those, or `{"tool_calls": […]}`
  (the json tool mode), optionally in a ```json fence.

Anything else is a text reply: no calls. A call that is there but unreadable is an error with the
reason, and counts as no call (as BFCL counts an output it cannot decode).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from toolforge.core.k2_chat import CALL_ARG_BEGIN, CALL_BEGIN, CALL_END, SECTION_BEGIN

_K2_CALL = re.compile(
    re.escape(CALL_BEGIN) + r"(.*?)" + re.escape(CALL_ARG_BEGIN) + r"(.*?)" + re.escape(CALL_END), re.S
)
_K2_ID = re.compile(r"^(?:functions\.)?(.+?)(?::\d+)?$")
_TAG_CALL = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.S)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)


@dataclass(frozen=True)
class ParsedOutput:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    error: str | None = None
    format: str = "text"


def _arguments(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError as exc:
            raise ValueError(f"{where}: arguments are not valid JSON ({exc})") from exc
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where}: arguments must be a JSON object, got {type(value).__name__}")
    return value


def _named_call(obj: Any, where: str) -> tuple[str, dict[str, Any]]:
    if isinstance(obj, dict) and isinstance(obj.get("function"), dict):
        obj = obj["function"]  # an OpenAI-shaped call
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        raise ValueError(f'{where}: a call needs a "name" and "arguments"')
    return obj["name"], _arguments(obj.get("arguments", obj.get("parameters")), where)


def _k2(text: str) -> ParsedOutput:
    calls = []
    for index, (call_id, args) in enumerate(_K2_CALL.findall(text)):
        match = _K2_ID.match(call_id.strip())
        name = match.group(1) if match else call_id.strip()
        calls.append((name, _arguments(args, f"K2 call {index}")))
    if not calls:
        raise ValueError("a K2 tool-call section without a complete call")
    return ParsedOutput(calls=calls, format="k2")


def _tags(text: str) -> ParsedOutput:
    calls = []
    for index, body in enumerate(_TAG_CALL.findall(text)):
        try:
            obj = json.loads(body.strip())
        except ValueError as exc:
            raise ValueError(f"<tool_call> {index} is not valid JSON ({exc})") from exc
        calls.append(_named_call(obj, f"<tool_call> {index}"))
    return ParsedOutput(calls=calls, format="tags")


def _bare_json(text: str) -> ParsedOutput | None:
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    if not body.startswith(("{", "[")):
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None  # prose that happens to start with a bracket
    if isinstance(value, dict) and "tool_calls" in value:
        value = value["tool_calls"]
    elif isinstance(value, dict) and "reply" in value and "name" not in value:
        return ParsedOutput(format="json")
    items = value if isinstance(value, list) else [value]
    return ParsedOutput(calls=[_named_call(v, f"JSON call {i}") for i, v in enumerate(items)], format="json")


def parse_tool_calls(text: str) -> ParsedOutput:
    """The calls in `text` as (name, arguments); never raises: an unreadable call is `error`."""
    try:
        if SECTION_BEGIN in text or CALL_BEGIN in text:
            return _k2(text)
        if "<tool_call>" in text:
            return _tags(text)
        return _bare_json(text) or ParsedOutput()
    except ValueError as exc:
        return ParsedOutput(error=str(exc), format="unreadable")
