"""Agent: a system prompt plus a connected subset of the tool library."""

from __future__ import annotations

from pydantic import Field

from toolforge.core.ids import content_id
from toolforge.core.types.base import Record


class Agent(Record):
    name: str
    system_prompt: str
    tool_ids: list[str]
    tool_names: list[str]
    domain: str = ""
    persona: str = ""
    seed: int = 0
    source: str = "template"  # "template" or the model that wrote the prompt
    metadata: dict[str, str] = Field(default_factory=dict)

    @property
    def id(self) -> str:
        return content_id("agent", sorted(self.tool_ids), self.seed, self.domain)
