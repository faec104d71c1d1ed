"""One episode's tool side: the offered tools, the world state, and the executor of each tool.

`ToolEnvironment.call` is the error boundary (DESIGN §6): an unknown tool, arguments that are not
a JSON object or do not validate, an injected fault, or the tool's own failure all come back as a
`tool` message with `is_error=True`; an `InfraError` (or an executor that crashes) ends the attempt.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from environments.episodes.episode import Episode
from environments.episodes.errors import InfraError
from environments.episodes.executors.base import CallContext, CallRecord, Executor, ToolResult
from environments.episodes.executors.schema_sim import SchemaSimulator
from environments.episodes.executors.validate import validate_arguments
from environments.episodes.state import State, take_fault
from toolforge.core.ids import digest
from toolforge.core.types import EndReason, Message, ToolCall, ToolSpec


@runtime_checkable
class EpisodeResources(Protocol):
    """An executor that holds something of its own for each episode (a code task's sandbox):
    `begin` before the first turn, `finish` once the turns are over (it may write the episode's
    end into `state` and answers notes for the trajectory's metadata), `release` always last."""

    async def begin(self, episode: Episode) -> None: ...

    async def finish(self, episode_id: str, state: State, end: EndReason) -> EpisodeNotes: ...

    async def release(self, episode_id: str, state: State) -> None: ...


@dataclass
class EpisodeNotes:
    """What per-episode executors say of the episode at its end: metadata for its trajectory,
    and whether they graded it (a code task's tests ran: its natural end reads `graded`)."""

    metadata: dict[str, Any] = field(default_factory=dict)
    graded: bool = False


if TYPE_CHECKING:  # the pool imports the MCP SDK; episodes without MCP servers never load it
    from environments.episodes.executors.mcp_pool import MCPPool


class ExecutorSet:
    """Chooses the executor of each tool: an explicit per-tool override, then by source —
    `python` → the toolkit executor, `mcp` → the real server when the pool serves its origin,
    everything else → the simulator (`schema` or `world_model`)."""

    def __init__(
        self,
        simulator: Executor | None = None,
        toolkit: Executor | None = None,
        mcp: MCPPool | None = None,
        overrides: Mapping[str, Executor] | None = None,
    ) -> None:
        self.simulator: Executor = simulator or SchemaSimulator()
        self.toolkit = toolkit
        self.mcp = mcp
        self.overrides = overrides or {}
        candidates = dict.fromkeys([*self.overrides.values(), self.simulator, self.toolkit])
        # found once: tool episodes have none, and then each episode pays nothing for the hooks
        self.per_episode = [e for e in candidates if isinstance(e, EpisodeResources)]

    def for_tool(self, tool: ToolSpec) -> Executor:
        if tool.name in self.overrides:
            return self.overrides[tool.name]
        if tool.source == "python":
            if self.toolkit is None:
                raise ValueError(
                    f"tool {tool.name} comes from a Python toolkit; pass its toolkit (--toolkit)"
                )
            return self.toolkit
        if tool.source == "mcp" and self.mcp is not None and self.mcp.serves(tool):
            return self.mcp
        return self.simulator

    async def begin(self, episode: Episode) -> None:
        for executor in self.per_episode:
            await executor.begin(episode)

    async def finish(self, episode_id: str, state: State, end: EndReason) -> EpisodeNotes:
        notes = EpisodeNotes()
        for executor in self.per_episode:
            said = await executor.finish(episode_id, state, end)
            notes.metadata.update(said.metadata)
            notes.graded = notes.graded or said.graded
        return notes

    async def release(self, episode_id: str, state: State) -> None:
        """The episode is over: per-episode resources (MCP server processes, sandboxes) are closed."""
        try:
            if self.mcp is not None:
                await self.mcp.release(episode_id, state)
        finally:
            for executor in self.per_episode:
                await executor.release(episode_id, state)

    def kinds(self, tools: list[ToolSpec]) -> dict[str, str]:
        return {t.name: self.for_tool(t).kind for t in tools}


def error_text(message: str) -> str:
    return f"Error: {message}"


def observed(result: ToolResult) -> ToolResult:
    """A tool's result as the agent sees it: an error reads as one."""
    if result.is_error and not result.content.startswith("Error"):
        result.content = error_text(result.content)
    return result


class ToolEnvironment:
    def __init__(self, tools: list[ToolSpec], executors: ExecutorSet, state: State, episode_id: str) -> None:
        self.tools = {t.name: t for t in tools}
        self.executors = executors
        self.ctx = CallContext(
            state=json.loads(json.dumps(state)),  # a JSON state: this copies it fastest
            rng=random.Random(int(digest(["episode", episode_id]), 16)),
            episode_id=episode_id,
        )
        self.outcomes: list[str] = []  # the world model's outcome class per simulated call

    @property
    def state(self) -> State:
        return self.ctx.state

    async def begin(self, episode: Episode) -> None:
        await self.executors.begin(episode)

    async def finish(self, end: EndReason) -> EpisodeNotes:
        return await self.executors.finish(self.ctx.episode_id, self.ctx.state, end)

    async def aclose(self) -> None:
        await self.executors.release(self.ctx.episode_id, self.ctx.state)

    async def call(self, call: ToolCall) -> Message:
        result, arguments = await self._result(call)
        if "outcome" in result.meta:
            self.outcomes.append(result.meta["outcome"])
        self.ctx.history.append(
            CallRecord(
                name=call.name,
                arguments=arguments,
                result=result.structured if result.structured is not None else result.content,
                is_error=result.is_error,
            )
        )
        return Message(
            role="tool",
            tool_call_id=call.id,
            name=call.name,
            content=result.content,
            is_error=result.is_error or None,
        )

    async def _result(self, call: ToolCall) -> tuple[ToolResult, dict[str, Any]]:
        tool = self.tools.get(call.name)
        if tool is None:
            offered = ", ".join(sorted(self.tools))
            return ToolResult.error(error_text(f"unknown tool {call.name!r}; available: {offered}")), {}
        try:
            arguments = call.parsed_arguments()
        except (ValueError, json.JSONDecodeError) as exc:
            return ToolResult.error(error_text(f"arguments must be a JSON object ({exc})")), {}
        problems = validate_arguments(tool, arguments)
        if problems:
            return ToolResult.error(error_text("invalid arguments: " + "; ".join(problems))), arguments
        fault = take_fault(self.ctx.state, tool.name)
        if fault is not None:
            return ToolResult.error(error_text(fault)), arguments
        executor = self.executors.for_tool(tool)
        try:
            result = await executor.execute(tool, arguments, self.ctx)
        except InfraError:
            raise
        except Exception as exc:  # the tool-call boundary: a crashing executor ends the attempt as data
            raise InfraError(
                f"{executor.kind} executor crashed on {tool.name}: {type(exc).__name__}: {exc}"
            ) from exc
        return observed(result), arguments
