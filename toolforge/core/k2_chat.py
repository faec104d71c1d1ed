"""Kimi K2 chat rendering: OpenAI-format messages and tools → K2 prompt text, byte for byte.

This is the canonical renderer. The exporter writes K2 text with it and the trainer's Jinja chat
template (`trainer/chat_template.jinja`) must render the same bytes (a test checks this).

Layout (after the released K2-Instruct template):

    <|im_system|>tool_declare<|im_middle|>{tools as compact JSON}<|im_end|>      only when tools
    <|im_system|>system<|im_middle|>You are Kimi, ...<|im_end|>                   only when the first
                                                                                  message is not system
    <|im_{user|assistant|system}|>{name or role}<|im_middle|>{body}<|im_end|>     one per message

- `user` → `<|im_user|>`, `assistant` → `<|im_assistant|>`, every other role → `<|im_system|>`.
- An assistant body is its text content, then (if it calls tools) `<|tool_calls_section_begin|>`,
  one `<|tool_call_begin|>{id}<|tool_call_argument_begin|>{arguments}<|tool_call_end|>` per call,
  `<|tool_calls_section_end|>`. String arguments are copied verbatim; others become compact JSON.
- A tool body is `## Return of {tool_call_id}\\n{content}`.
- Call ids follow K2's `functions.{name}:{idx}`, idx counted from 0 within the assistant turn.
  When any call of a turn lacks that form (for its own name) or two calls of the turn share an id,
  every call of that turn is renamed `functions.{name}:{position}`; a tool message's
  `tool_call_id` is renamed the same way (the latest call that carried that id wins).
- Content is a string, None (empty), or a list of `{"type": "text", "text": ...}` parts.

A key set to None counts as absent everywhere.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "DEFAULT_SYSTEM_PROMPT",
    "K2_SPECIAL_TOKENS",
    "render_k2",
    "render_k2_with_spans",
]

DEFAULT_SYSTEM_PROMPT = "You are Kimi, an AI assistant created by Moonshot AI."

IM_SYSTEM = "<|im_system|>"
IM_USER = "<|im_user|>"
IM_ASSISTANT = "<|im_assistant|>"
IM_MIDDLE = "<|im_middle|>"
IM_END = "<|im_end|>"
SECTION_BEGIN = "<|tool_calls_section_begin|>"
SECTION_END = "<|tool_calls_section_end|>"
CALL_BEGIN = "<|tool_call_begin|>"
CALL_ARG_BEGIN = "<|tool_call_argument_begin|>"
CALL_END = "<|tool_call_end|>"

# K2's special tokens in the order of their ids in the K2 tokenizer (163584 …).
K2_SPECIAL_TOKENS: tuple[str, ...] = (
    "[BOS]",
    "[EOS]",
    IM_END,
    IM_USER,
    IM_ASSISTANT,
    IM_SYSTEM,
    SECTION_BEGIN,
    SECTION_END,
    CALL_BEGIN,
    CALL_ARG_BEGIN,
    CALL_END,
    IM_MIDDLE,
)

_ROLE_TOKEN = {"user": IM_USER, "assistant": IM_ASSISTANT}


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise ValueError(f"K2 rendering supports only text content parts, got {part!r}")
            parts.append(part.get("text") or "")
        return "".join(parts)
    raise ValueError(f"message content must be a string, None or a list of text parts, got {content!r}")


def _is_k2_id(call_id: Any, name: str) -> bool:
    if not isinstance(call_id, str):
        return False
    prefix = f"functions.{name}:"
    rest = call_id[len(prefix) :]
    return call_id.startswith(prefix) and rest.isdigit() and rest.isascii()


def _turn_ids(tool_calls: list[dict[str, Any]]) -> list[str]:
    """The ids one assistant turn's calls are rendered with."""
    names = [call["function"]["name"] for call in tool_calls]
    ids = [call.get("id") for call in tool_calls]
    keep = all(_is_k2_id(i, n) for i, n in zip(ids, names, strict=True)) and len(set(ids)) == len(ids)
    if keep:
        return [str(i) for i in ids]
    return [f"functions.{name}:{pos}" for pos, name in enumerate(names)]


def _call_text(call_id: str, arguments: Any) -> str:
    args = arguments if isinstance(arguments, str) else _compact_json(arguments)
    return f"{CALL_BEGIN}{call_id}{CALL_ARG_BEGIN}{args}{CALL_END}"


def render_k2_with_spans(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    add_generation_prompt: bool = False,
) -> tuple[str, list[tuple[int, int]]]:
    """Render a conversation as K2 text and return the assistant spans.

    Each span is a `(start, end)` character range covering one assistant turn's body through its
    closing `<|im_end|>` (the role header `<|im_assistant|>assistant<|im_middle|>` is outside it):
    exactly what a model trained on this text should learn to produce.
    """
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0

    def emit(text: str) -> None:
        nonlocal length
        out.append(text)
        length += len(text)

    if tools:
        emit(f"{IM_SYSTEM}tool_declare{IM_MIDDLE}{_compact_json(tools)}{IM_END}")
    if not messages or messages[0].get("role") != "system":
        emit(f"{IM_SYSTEM}system{IM_MIDDLE}{DEFAULT_SYSTEM_PROMPT}{IM_END}")

    renamed: dict[Any, str] = {}
    for message in messages:
        role = message.get("role")
        if not isinstance(role, str):
            raise ValueError(f"every message needs a string 'role', got {message!r}")
        header = f"{_ROLE_TOKEN.get(role, IM_SYSTEM)}{message.get('name') or role}{IM_MIDDLE}"
        emit(header)
        if role == "assistant":
            start = length
            emit(_text(message.get("content")))
            tool_calls = message.get("tool_calls")
            if tool_calls:
                emit(SECTION_BEGIN)
                for call, call_id in zip(tool_calls, _turn_ids(tool_calls), strict=True):
                    renamed[call.get("id")] = call_id
                    emit(_call_text(call_id, call["function"].get("arguments")))
                emit(SECTION_END)
            emit(IM_END)
            spans.append((start, length))
        elif role == "tool":
            original = message.get("tool_call_id")
            call_id = renamed.get(original, original)
            emit(
                f"## Return of {'' if call_id is None else call_id}\n{_text(message.get('content'))}{IM_END}"
            )
        else:
            emit(f"{_text(message.get('content'))}{IM_END}")

    if add_generation_prompt:
        emit(f"{IM_ASSISTANT}assistant{IM_MIDDLE}")
    return "".join(out), spans


def render_k2(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    add_generation_prompt: bool = False,
) -> str:
    """Render a conversation (OpenAI chat dicts) and its tools (OpenAI function tools) as K2 text."""
    return render_k2_with_spans(messages, tools, add_generation_prompt)[0]
