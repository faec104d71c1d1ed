"""Messages in the OpenAI chat format, with `tool_calls` and the `tool` role."""

from __future__ import annotations

import json
from typing import Any, Literal

from toolforge.core.types.base import Record

Role = Literal["system", "user", "assistant", "tool"]


class FunctionCall(Record):
    name: str
    # A JSON string, as the OpenAI format carries it; `ToolCall.parsed_arguments` decodes it.
    arguments: str = "{}"


class ToolCall(Record):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall

    @classmethod
    def make(cls, call_id: str, name: str, arguments: dict[str, Any]) -> ToolCall:
        return cls(id=call_id, function=FunctionCall(name=name, arguments=json.dumps(arguments)))

    @property
    def name(self) -> str:
        return self.function.name

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments as a dict; raises ValueError when they are not a JSON object."""
        value = json.loads(self.function.arguments or "{}")
        if not isinstance(value, dict):
            raise ValueError(f"arguments of {self.function.name} are not a JSON object")
        return value


class Message(Record):
    role: Role
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    # For tool messages: the tool reported failure (MCP isError); the agent sees it as an observation.
    is_error: bool | None = None

    def openai(self) -> dict[str, Any]:
        """The plain OpenAI chat dict (our extra `is_error` flag left out)."""
        data = self.model_dump(exclude_none=True, exclude={"is_error"})
        if self.role == "assistant" and "content" not in data:
            data["content"] = None
        return data
