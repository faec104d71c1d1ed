"""Tool calls as text: OpenAI messages made ready for a Hugging Face chat template, the check that a
template renders tools at all, and the calls parsed back out of a model's raw output.

Three output formats are read (every model run without a provider's tool API goes through here):

- `<tool_call>{"name": …, "arguments": …}</tool_call>` (the Hermes / Qwen / SmolLM3 form, and the form
  of the trainer's fallback template), one per call; an unclosed last tag is still read;
- K2's tool-call sections
  (`<|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:IDX<|tool_call_argument_begin|>{…}<|tool_call_end|>…`);
- when neither is there, a bare JSON answer: `{"name": …, "arguments": …}`, a list of those, or
  `{"tool_calls": […]}` (the json tool mode), optionally in a ```json fence.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError

from toolforge.core.k2_chat import CALL_ARG_BEGIN, CALL_BEGIN, CALL_END, SECTION_BEGIN, SECTION_END

__all__ = ["ParsedOutput", "parse_tool_calls", "template_gaps", "template_messages"]

_TAGGED_CALL = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL)
_K2_CALL = re.compile(
    re.escape(CALL_BEGIN) + r"\s*(.*?)\s*" + re.escape(CALL_ARG_BEGIN) + r"(.*?)" + re.escape(CALL_END),
    re.DOTALL,
)
_K2_ID = re.compile(r"^(?:functions\.)?(.+?)(?::\d+)?$")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_K2_SECTION = re.compile(re.escape(SECTION_BEGIN) + r".*?(?:" + re.escape(SECTION_END) + r"|$)", re.DOTALL)

# What the template check renders: a tool offered, an assistant turn calling it, and its result.
_PROBE_TOOL = "toolforge_probe_tool"
_PROBE_CALL_VALUE = "toolforge_probe_argument"
_PROBE_RESULT = "toolforge_probe_result"


def _text(content: Any) -> str:
    """Message content as one string (a list of text parts is joined, as the exporter allows it)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def _arguments(arguments: Any) -> Any:
    """Arguments as an object: chat templates write them with `tojson`, so a JSON string is decoded."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments or "{}")
        except ValueError:
            return arguments
    return arguments


def template_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI chat messages in the shape chat templates expect: string content, arguments as objects."""
    out = []
    for message in messages:
        item = dict(message)
        item["content"] = _text(message.get("content"))
        if message.get("tool_calls"):
            item["tool_calls"] = [
                {
                    "id": call.get("id"),
                    "type": "function",
                    "function": {
                        "name": call["function"]["name"],
                        "arguments": _arguments(call["function"].get("arguments")),
                    },
                }
                for call in message["tool_calls"]
            ]
        else:
            item.pop("tool_calls", None)
        out.append(item)
    return out


def template_gaps(tokenizer: Any) -> list[str]:
    """What a tokenizer's chat template leaves out of a tool conversation (empty: it renders tools).

    It must write the offered tools, an assistant turn's tool calls with their arguments, and a tool
    result; a template that drops any of them cannot train or run a tool-calling policy.
    """
    if not tokenizer.chat_template:
        return ["anything (the tokenizer has no chat template)"]
    tool = {
        "type": "function",
        "function": {
            "name": _PROBE_TOOL,
            "description": "A probe.",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
        },
    }
    call = {
        "id": "call_0",
        "type": "function",
        "function": {"name": _PROBE_TOOL, "arguments": {"q": _PROBE_CALL_VALUE}},
    }
    messages = [
        {"role": "user", "content": "Probe."},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_0", "name": _PROBE_TOOL, "content": _PROBE_RESULT},
        {"role": "assistant", "content": "Done."},
    ]
    try:
        offered = tokenizer.apply_chat_template(messages[:1], tools=[tool], tokenize=False)
        history = tokenizer.apply_chat_template(messages, tools=[tool], tokenize=False)
    except (TemplateError, ValueError, TypeError, KeyError) as exc:  # raised by the template's own code
        return [f"a tool conversation (the template raised {type(exc).__name__}: {exc})"]
    gaps = []
    if _PROBE_TOOL not in offered:
        gaps.append("the offered tools")
    if _PROBE_CALL_VALUE not in history:
        gaps.append("assistant tool calls")
    if _PROBE_RESULT not in history:
        gaps.append("tool results")
    return gaps


@dataclass(frozen=True)
class ParsedOutput:
    """What a model wrote: `text` outside any call, the readable `calls` as (name, arguments object),
    `error` naming the first call that is there but unreadable, and the `format` the calls came in
    ("tags", "k2", "json", or "text" for none)."""

    text: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    error: str | None = None
    format: str = "text"


def _object_arguments(value: Any, where: str) -> dict[str, Any]:
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
    return obj["name"], _object_arguments(obj.get("arguments", obj.get("parameters")), where)


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
        return ParsedOutput(text=text.strip(), format="json")
    items = value if isinstance(value, list) else [value]
    try:
        calls = [_named_call(v, f"JSON call {i}") for i, v in enumerate(items)]
    except ValueError as exc:
        return ParsedOutput(text=text.strip(), error=str(exc), format="json")
    return ParsedOutput(calls=calls, format="json")


def parse_tool_calls(text: str) -> ParsedOutput:
    """The calls in `text`; never raises.

    A `<tool_call>` block that is not a readable call stays in `text`, where the conversation shows the
    model what it wrote, and is named in `error`; the readable calls beside it are kept.
    """
    calls: list[tuple[str, dict[str, Any]]] = []
    errors: list[str] = []
    formats: list[str] = []

    def tagged(match: re.Match[str]) -> str:
        where = f"<tool_call> {len(calls) + len(errors)}"
        try:
            value = json.loads(match.group(1).strip())
        except ValueError as exc:
            errors.append(f"{where} is not valid JSON ({exc})")
            return match.group(0)
        try:
            calls.append(_named_call(value, where))
        except ValueError as exc:
            errors.append(str(exc))
            return match.group(0)
        formats.append("tags")
        return ""

    rest = _TAGGED_CALL.sub(tagged, text)
    for section in _K2_SECTION.findall(rest):
        found = _K2_CALL.findall(section)
        if not found:
            errors.append("a K2 tool-call section without a complete call")
        for index, (call_id, arguments) in enumerate(found):
            match = _K2_ID.match(call_id.strip())
            name = match.group(1) if match else call_id.strip()
            try:
                calls.append((name, _object_arguments(arguments, f"K2 call {index}")))
                formats.append("k2")
            except ValueError as exc:
                errors.append(str(exc))
    rest = _K2_SECTION.sub("", rest).strip()
    if not calls and not errors:
        return _bare_json(rest) or ParsedOutput(text=rest)
    return ParsedOutput(
        text=rest,
        calls=calls,
        error=errors[0] if errors else None,
        format=formats[0] if formats else "text",
    )
