"""The executor interface. An executor runs one validated call against the episode's state.

A tool's own failure is returned as `ToolResult(is_error=True)`: the agent sees it. A failure of
the environment itself (server gone, protocol error, budget) raises `InfraError`.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from environments.episodes.state import State
from toolforge.core.types import ToolSpec


@dataclass
class ToolResult:
    content: str
    structured: Any = None
    is_error: bool = False
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. the simulator's outcome class

    @classmethod
    def data(cls, value: Any) -> ToolResult:
        return cls(content=json.dumps(value, ensure_ascii=False), structured=value)

    @classmethod
    def error(cls, message: str) -> ToolResult:
        return cls(content=message, is_error=True)


@dataclass
class CallRecord:
    name: str
    arguments: dict[str, Any]
    result: Any
    is_error: bool


@dataclass
class CallContext:
    """What an executor may look at: the episode's state (mutable), the calls so far, and a
    random stream seeded from the episode id, so a re-run draws the same outcomes."""

    state: State
    history: list[CallRecord] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    episode_id: str = ""
    # For the world model's outcome draws: a random start and a count (see `draw_outcome`).
    outcome_offset: float | None = None
    outcome_draws: int = 0


class Executor(Protocol):
    """Runs one validated call: the schema simulator, the world model, a Python toolkit, the MCP
    servers, a sandbox. `kind` names it in the trajectory's metadata."""

    kind: str

    async def execute(self, tool: ToolSpec, arguments: dict[str, Any], ctx: CallContext, /) -> ToolResult: ...
