"""What the policy and the user simulator see of the episode they are in."""

from __future__ import annotations

from dataclasses import dataclass, field

from toolforge.core.types import Agent, Task, ToolSpec, Usage


@dataclass
class Episode:
    task: Task
    agent: Agent
    tools: list[ToolSpec]
    episode_id: str  # the trajectory id: salts model caches and seeds random draws
    attempt: int
    usage: Usage = field(default_factory=Usage)

    def add_usage(self, usage: Usage) -> None:
        self.usage = self.usage.add(usage)
