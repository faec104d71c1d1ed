"""Trajectory: one attempt at a task, as messages plus everything needed to judge and train on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from toolforge.core.ids import content_id, digest
from toolforge.core.types.base import Record
from toolforge.core.types.message import Message

EndReason = Literal[
    "user_stop",  # the simulated user said the goal is met (or refused) and stopped
    "agent_stop",  # the agent ended without asking anything more
    "max_turns",
    "max_tool_calls",
    "max_tokens",
    "timeout",
    "budget",
    "infra_error",  # a sandbox, server or model failed; `error` says how
    "graded",  # code tasks: the episode ended with the tests run
]


def run_key(settings: Mapping[str, Any]) -> str:
    """The fingerprint of how episodes are played (policy, user, executors, limits, models): every
    trajectory of a run carries it, so the same task and attempt under other settings is another
    trajectory. The one definition: rollouts and code tasks both name their settings through it."""
    return digest(dict(settings), 12)


def trajectory_id(task_id: str, attempt: int, run_key: str) -> str:
    """The id of attempt `attempt` at task `task_id` under `run_key`: `Trajectory.id` is this."""
    return content_id("traj", task_id, attempt, run_key)


class Usage(Record):
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached_calls: int = 0

    def add(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            cached_calls=self.cached_calls + other.cached_calls,
        )


class Trajectory(Record):
    task_id: str
    agent_id: str
    attempt: int
    # The config fingerprint of the run that made it: the same task and attempt under another
    # config is another trajectory.
    run_key: str = ""
    messages: list[Message]
    tools: list[dict[str, Any]] = Field(default_factory=list)  # OpenAI function specs offered
    models: dict[str, str] = Field(default_factory=dict)  # role -> model
    usage: Usage = Field(default_factory=Usage)
    wall_time_s: float = 0.0
    end_reason: EndReason
    error: str | None = None
    final_state: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def id(self) -> str:
        return trajectory_id(self.task_id, self.attempt, self.run_key)

    @property
    def tool_calls(self) -> list[tuple[int, Any]]:
        """(message index, ToolCall) for every call the agent made, in order."""
        return [
            (i, call)
            for i, m in enumerate(self.messages)
            if m.role == "assistant"
            for call in m.tool_calls or []
        ]
