"""Read an exported OpenAI JSONL file back into our types."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from toolforge.core.types import Message, Record


class ExportedConversation(Record):
    """One line of `openai.jsonl`."""

    id: str
    messages: list[Message]
    tools: list[dict[str, Any]] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)


def read_openai_jsonl(path: Path) -> Iterator[ExportedConversation]:
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                try:
                    yield ExportedConversation.model_validate_json(line)
                except ValueError as exc:
                    raise ValueError(f"{path}:{number}: not an exported conversation: {exc}") from exc
