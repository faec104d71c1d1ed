"""One model reply as the client hands it back, and the request hash that keys the cache."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from toolforge.core.ids import digest
from toolforge.core.types import FunctionCall, ToolCall, Usage


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    cached: bool = False
    finish_reason: str | None = None
    # The response in plain OpenAI form (id, model, choices, usage) — what the cache keeps.
    raw: dict[str, Any] = Field(default_factory=dict)


def request_key(request: dict[str, Any], cache_salt: str) -> str:
    """The cache key: a hash of everything that shapes the reply (never the key or the URL).

    The canonical JSON of `ids.digest`, written by orjson (a tenth of the time: a request carries
    its whole conversation and schemas); the same text for JSON values, save a few float spellings."""
    value = {"request": request, "salt": cache_salt}
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # a value orjson does not write (a big int, a custom object): the slow path
        return digest(value, length=32)
    return hashlib.sha256(text).hexdigest()[:32]


def raw_from_response(response: Any) -> dict[str, Any]:
    """The parts of a litellm ModelResponse we keep, as plain JSON."""
    choice = response.choices[0]
    message = choice.message
    tool_calls = [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.function.name, "arguments": call.function.arguments},
        }
        for call in (getattr(message, "tool_calls", None) or [])
    ]
    usage = getattr(response, "usage", None)
    return {
        "id": getattr(response, "id", None),
        "model": getattr(response, "model", None),
        "choices": [
            {
                "message": {"role": "assistant", "content": message.content, "tool_calls": tool_calls},
                "finish_reason": choice.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": int(getattr(usage, "prompt_tokens", 0) or 0),
            "completion_tokens": int(getattr(usage, "completion_tokens", 0) or 0),
        },
    }


def completion_from_raw(raw: dict[str, Any], cost_usd: float, cached: bool) -> Completion:
    choice = raw["choices"][0]
    message = choice["message"]
    calls = [
        ToolCall(
            id=c.get("id") or f"call_{i}",
            function=FunctionCall(
                name=c["function"]["name"], arguments=c["function"].get("arguments") or "{}"
            ),
        )
        for i, c in enumerate(message.get("tool_calls") or [])
    ]
    tokens = raw.get("usage") or {}
    usage = (
        Usage(calls=1, cached_calls=1)
        if cached
        else Usage(
            calls=1,
            prompt_tokens=tokens.get("prompt_tokens") or 0,
            completion_tokens=tokens.get("completion_tokens") or 0,
            cost_usd=cost_usd,
        )
    )
    return Completion(
        text=message.get("content"),
        tool_calls=calls,
        usage=usage,
        cached=cached,
        finish_reason=choice.get("finish_reason"),
        raw=raw,
    )


def canonical_arguments(arguments: str) -> str:
    """Arguments re-serialised the same way in both tool modes; invalid JSON is kept as sent."""
    try:
        return json.dumps(json.loads(arguments or "{}"), ensure_ascii=False)
    except ValueError:
        return arguments
