"""Tool calls as text: OpenAI messages made ready for a Hugging Face chat template, the check that a
template renders tools at all, and the calls parsed back out of a model's raw output.

Two output formats are read: `<tool_call>{"name": …, "arguments": …}</tool_call>` (the Hermes / Qwen /
SmolLM3 form, and the form of the trainer's fallback template) and K2's tool-call sections
(`<|tool_call_begin|>functions.NAME:IDX<|tool_call_argument_begin|>{…}<|tool_call_end|>`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from jinja2 import TemplateError

from toolforge.core.k2_chat import CALL_ARG_BEGIN, CALL_BEGIN, CALL_END, SECTION_BEGIN, SECTION_END

__all__ = ["parse_tool_calls", "template_gaps", "template_messages"]

_TAGGED_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)
_K2_CALL = re.compile(
    re.escape(CALL_BEGIN) + r"\s*(.*?)\s*" + re.escape(CALL_ARG_BEGIN) + r"(.*?)" + re.escape(CALL_END),
    re.DOTALL,
)
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


def _call(name: str, arguments: Any) -> dict[str, str]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return {"name": name, "arguments": text}


def parse_tool_calls(text: str) -> tuple[str, list[dict[str, str]]]:
    """(the text outside any call, the calls as `{"name", "arguments"}` with arguments as JSON text).

    A `<tool_call>` block that is not a JSON object with a string `name` is not a call: it stays in
    the text, where the conversation shows the model what it wrote.
    """
    calls: list[dict[str, str]] = []

    def tagged(match: re.Match[str]) -> str:
        try:
            value = json.loads(match.group(1))
        except ValueError:
            return match.group(0)
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            return match.group(0)
        calls.append(_call(value["name"], value.get("arguments", value.get("parameters", {}))))
        return ""

    rest = _TAGGED_CALL.sub(tagged, text)
    for section in _K2_SECTION.findall(rest):
        for call_id, arguments in _K2_CALL.findall(section):
            name = call_id.removeprefix("functions.").rsplit(":", 1)[0]
            calls.append(_call(name, arguments.strip() or "{}"))
    rest = _K2_SECTION.sub("", rest)
    return rest.strip(), calls
