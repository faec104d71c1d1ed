"""Real MCP tools: pooled client sessions to real servers over stdio, per-call timeouts.

Each session is owned by a background task that holds `mcp.Client(..., mode="legacy")` open (the
client's context must be exited by the task that entered it); episodes call through it
concurrently — one session multiplexes requests. A tool error (`is_error`) is an observation; a
protocol error, a timeout, a dead server or an invalid structured result is an `InfraError` that
ends the attempt, and a dead session is respawned on next use.

State lives in the server, not in the episode: episodes that share a pooled session share its
world. A server configured `per_episode` gets one process per episode instead, started on the
episode's first call with `{episode_dir}` filled in, and closed by `release` at the episode's end,
which also reads its `state_file` into the episode's state (`_mcp`).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from mcp import Client, MCPError, StdioServerParameters

from environments.config import MCPServerConfig
from environments.errors import InfraError
from environments.executors.base import CallContext, ToolResult
from toolforge.core.types import ToolSpec


class _Session:
    def __init__(self, server_id: str, config: MCPServerConfig) -> None:
        self.server_id = server_id
        self.config = config
        self.client: Client | None = None
        self.error: BaseException | None = None
        self.ready = asyncio.Event()
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._own(), name=f"mcp-{self.server_id}")

    async def _own(self) -> None:
        command = sys.executable if self.config.command in ("python", "python3") else self.config.command
        params = StdioServerParameters(
            command=command, args=list(self.config.args), env=self.config.env or None, cwd=self.config.cwd
        )
        try:
            async with Client(params, mode="legacy") as client:
                self.client = client
                self.ready.set()
                await self.stop.wait()
        except (OSError, MCPError, RuntimeError, ExceptionGroup) as exc:  # could not start, or died
            self.error = exc
        finally:
            self.client = None
            self.ready.set()

    async def close(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)


class MCPPool:
    kind = "mcp"

    def __init__(
        self, servers: dict[str, MCPServerConfig], call_timeout_s: float = 30.0, sessions_per_server: int = 1
    ) -> None:
        self.servers = servers
        self.call_timeout_s = call_timeout_s
        self.size = sessions_per_server
        self.sessions: dict[str, list[_Session]] = {}
        self.episodes: dict[str, dict[str, _Session]] = {}  # episode id -> server id -> session
        self.dirs: dict[str, Path] = {}
        self._turn: dict[str, int] = {}
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> MCPPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for sessions in self.sessions.values():
            for session in sessions:
                await session.close()
        for episode_id in list(self.episodes):
            await self.release(episode_id, {})

    async def _episode_session(
        self, server_id: str, episode_id: str, state: dict[str, Any] | None = None
    ) -> _Session:
        sessions = self.episodes.setdefault(episode_id, {})
        session = sessions.get(server_id)
        if session is None:
            if episode_id not in self.dirs:
                self.dirs[episode_id] = Path(tempfile.mkdtemp(prefix="mcp-episode-"))
            self._seed(server_id, self.dirs[episode_id], (state or {}).get("_mcp", {}).get(server_id))
            session = sessions[server_id] = _Session(
                server_id, _for_episode(self.servers[server_id], self.dirs[episode_id])
            )
            session.start()
        await session.ready.wait()
        if session.client is None:
            raise InfraError(f"MCP server {server_id!r} did not start: {session.error}")
        return session

    def _seed(self, server_id: str, folder: Path, world: dict[str, Any] | None) -> None:
        """Write the episode's initial world where the server will load it from; without one the
        server seeds its own default world."""
        path = self._state_path(server_id, folder)
        if world is not None and path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(world))

    def _state_path(self, server_id: str, folder: Path) -> Path | None:
        template = self.servers[server_id].state_file
        return Path(template.replace("{episode_dir}", str(folder))) if template else None

    async def fresh_world(self, server_id: str) -> dict[str, Any]:
        """The world a fresh copy of the server starts with (its seed), read from its state file."""
        if self._state_path(server_id, Path(".")) is None:
            raise InfraError(f"MCP server {server_id!r} has no state file: its world cannot be read")
        world_id = f"seed-{server_id}-{id(self)}"
        await self._episode_session(server_id, world_id)
        state: dict[str, Any] = {}
        await self.release(world_id, state)
        if server_id not in state.get("_mcp", {}):
            raise InfraError(f"MCP server {server_id!r} wrote no state file; check its world.stateEnv")
        return state["_mcp"][server_id]

    async def release(self, episode_id: str, state: dict[str, Any]) -> None:
        """Close the episode's own servers; their state files go into `state["_mcp"]`."""
        sessions = self.episodes.pop(episode_id, {})
        for session in sessions.values():
            await session.close()
        folder = self.dirs.pop(episode_id, None)
        if folder is None:
            return
        for server_id in sessions:
            path = self._state_path(server_id, folder)
            if path is not None and path.exists():
                state.setdefault("_mcp", {})[server_id] = json.loads(path.read_text())
        shutil.rmtree(folder, ignore_errors=True)

    def serves(self, tool: ToolSpec) -> bool:
        return tool.origin in self.servers

    async def _session(self, server_id: str) -> _Session:
        async with self._lock:
            sessions = self.sessions.setdefault(server_id, [])
            while len(sessions) < self.size:
                sessions.append(_Session(server_id, self.servers[server_id]))
                sessions[-1].start()
            turn = self._turn.get(server_id, 0)
            self._turn[server_id] = turn + 1
            index = turn % self.size
            session = sessions[index]
            if session.ready.is_set() and session.client is None:  # died: respawn
                await session.close()
                session = sessions[index] = _Session(server_id, self.servers[server_id])
                session.start()
        await session.ready.wait()
        if session.client is None:
            raise InfraError(f"MCP server {server_id!r} did not start: {session.error}")
        return session

    async def execute(self, tool: ToolSpec, arguments: dict[str, Any], ctx: CallContext) -> ToolResult:
        if self.servers[tool.origin].per_episode:
            session = await self._episode_session(tool.origin, ctx.episode_id, ctx.state)
        else:
            session = await self._session(tool.origin)
        assert session.client is not None
        name = str((tool.raw or {}).get("name", tool.name))
        try:
            result = await session.client.call_tool(name, arguments, read_timeout_seconds=self.call_timeout_s)
        except MCPError as exc:
            if "closed" in exc.message.lower():
                session.stop.set()
            raise InfraError(
                f"MCP server {tool.origin!r} failed on {name}: [{exc.code}] {exc.message}"
            ) from exc
        except RuntimeError as exc:  # structured content that violates the tool's output schema
            raise InfraError(
                f"MCP server {tool.origin!r} returned an invalid result for {name}: {exc}"
            ) from exc
        text = "\n".join(b.text for b in result.content if b.type == "text")
        if result.is_error:
            return ToolResult.error(text or f"{name} failed")
        if result.structured_content is not None:
            return ToolResult(
                content=json.dumps(result.structured_content, ensure_ascii=False),
                structured=result.structured_content,
            )
        return ToolResult(content=text, structured=_json_or_none(text))


def _for_episode(config: MCPServerConfig, folder: Path) -> MCPServerConfig:
    def fill(text: str) -> str:
        return text.replace("{episode_dir}", str(folder))

    return config.model_copy(
        update={"args": [fill(a) for a in config.args], "env": {k: fill(v) for k, v in config.env.items()}}
    )


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
