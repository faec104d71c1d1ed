"""Real MCP tools: pooled client sessions to real servers over stdio, per-call timeouts.

Each session is owned by a background task that holds `mcp.Client(..., mode="legacy")` open (the
client's context must be exited by the task that entered it); episodes call through it
concurrently — one session multiplexes requests. A tool error (`is_error`) is an observation; a
protocol error, a timeout, a dead server or an invalid structured result is an `InfraError` that
ends the attempt, and a dead session is respawned on next use.

State lives in the server, not in the episode: episodes that share a pooled session share its
world. A server configured `per_episode` gets one process per episode instead (a world), started
on the episode's first call with `{episode_dir}` filled in with a folder of its own, and closed by
`release` at the episode's end, which also reads its `state_file` into the episode's state
(`_mcp`). Worlds run in the server's sandbox (world_sandbox.py); episodes that begin from the
server's own seed take one of `warm` worlds started ahead (warm_worlds.py). A world serves one
episode and is discarded. Pooled (shared) sessions run as configured, unsandboxed.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import Client, MCPError, StdioServerParameters

from environments.episodes.config import MCPServerConfig
from environments.episodes.errors import InfraError
from environments.episodes.executors.base import CallContext, ToolResult
from environments.episodes.executors.warm_worlds import WarmWorlds
from environments.episodes.executors.world_sandbox import DockerWorlds, WorldSandbox
from sandbox.errors import SandboxError
from toolforge.core.errors import ConfigError
from toolforge.core.types import ToolSpec


class _Session:
    def __init__(self, server_id: str, params: StdioServerParameters) -> None:
        self.server_id = server_id
        self.params = params
        self.client: Client | None = None
        self.error: BaseException | None = None
        self.ready = asyncio.Event()
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._own(), name=f"mcp-{self.server_id}")

    async def _own(self) -> None:
        try:
            async with Client(self.params, mode="legacy") as client:
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
            if not self.ready.is_set():  # still starting: no need to wait for a server nobody uses
                self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


def _plain(config: MCPServerConfig) -> StdioServerParameters:
    command = sys.executable if config.command in ("python", "python3") else config.command
    return StdioServerParameters(
        command=command, args=list(config.args), env=config.env or None, cwd=config.cwd
    )


@dataclass
class _World:
    """One per-episode server process with its own folder; serves one episode, then discarded."""

    server_id: str
    session: _Session
    folder: Path
    state_path: Path | None
    name: str  # its container's name under docker


class MCPPool:
    kind = "mcp"

    def __init__(
        self, servers: dict[str, MCPServerConfig], call_timeout_s: float = 30.0, sessions_per_server: int = 1
    ) -> None:
        self.servers = servers
        self.call_timeout_s = call_timeout_s
        self.size = sessions_per_server
        self.sessions: dict[str, list[_Session]] = {}
        # episode id -> server id -> the opening of its world (concurrent first calls share it)
        self.episodes: dict[str, dict[str, asyncio.Task[_World]]] = {}
        self.warm: dict[str, WarmWorlds[_World]] = {}
        self.sandboxes: dict[str, WorldSandbox] = {}
        self.owner = f"tf-worlds-{uuid.uuid4().hex[:10]}"  # labels this pool's containers
        self._docker: DockerWorlds | None = None
        self._turn: dict[str, int] = {}
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> MCPPool:
        # Resolve every world's sandbox now: one that cannot start fails here, naming the server.
        for server_id, config in self.servers.items():
            if config.per_episode:
                await asyncio.to_thread(self.sandbox, server_id)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for sessions in self.sessions.values():
            for session in sessions:
                await session.close()
        for episode_id in list(self.episodes):
            await self.release(episode_id, {})
        await asyncio.gather(*(warm.close() for warm in self.warm.values()))
        if self._docker is not None:
            await asyncio.to_thread(self._docker.close)  # whatever a crash left behind

    def sandbox(self, server_id: str) -> WorldSandbox:
        """The sandbox of the server's worlds, resolved once; ConfigError if it cannot work here."""
        if server_id not in self.sandboxes:
            self.sandboxes[server_id] = WorldSandbox(server_id, self.servers[server_id], self._docker_worlds)
        return self.sandboxes[server_id]

    def _docker_worlds(self) -> DockerWorlds:
        if self._docker is None:
            self._docker = DockerWorlds(self.owner)  # SandboxError when no engine answers
        return self._docker

    def _start_world(self, server_id: str, initial: dict[str, Any] | None) -> _World:
        """Start a world's server (not awaited); seeded with `initial`, else the server's own seed."""
        sandbox = self.sandbox(server_id)
        folder = Path(tempfile.mkdtemp(prefix="mcp-episode-"))
        path = self._state_path(server_id, folder)
        if initial is not None and path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(initial))
        sandbox.prepare(folder)
        name = sandbox.container_name()
        config = _for_episode(self.servers[server_id], folder)
        session = _Session(server_id, sandbox.params(config, folder, name))
        session.start()
        return _World(server_id, session, folder, path, name)

    def _warm_worlds(self, server_id: str) -> WarmWorlds[_World] | None:
        size = self.servers[server_id].warm
        if size <= 0:
            return None
        if server_id not in self.warm:
            self.warm[server_id] = WarmWorlds(
                size, lambda: self._start_world(server_id, None), _alive, _read_world, self._discard
            )
        return self.warm[server_id]

    async def _open(self, server_id: str, initial: dict[str, Any] | None) -> _World:
        warm = self._warm_worlds(server_id)
        world = await warm.take(initial) if warm is not None else None
        return world if world is not None else self._start_world(server_id, initial)

    async def _episode_session(
        self, server_id: str, episode_id: str, state: dict[str, Any] | None = None
    ) -> _Session:
        worlds = self.episodes.setdefault(episode_id, {})
        opening = worlds.get(server_id)
        if opening is None:
            initial = (state or {}).get("_mcp", {}).get(server_id)
            opening = worlds[server_id] = asyncio.ensure_future(self._open(server_id, initial))
        try:
            world = await asyncio.shield(opening)  # a cancelled call leaves the world to `release`
        except (ConfigError, SandboxError) as exc:
            raise InfraError(f"MCP server {server_id!r} cannot start its world: {exc}") from exc
        await world.session.ready.wait()
        if world.session.client is None:
            hint = self.sandbox(server_id).hint()
            raise InfraError(f"MCP server {server_id!r} did not start: {world.session.error}{hint}")
        return world.session

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
        world: dict[str, Any] = state["_mcp"][server_id]
        warm = self.warm.get(server_id)
        if warm is not None:
            warm.seed = world  # tasks that begin here may take warm worlds without a check
        return world

    async def release(self, episode_id: str, state: dict[str, Any]) -> None:
        """Close the episode's own servers; their state files go into `state["_mcp"]`."""
        for opening in self.episodes.pop(episode_id, {}).values():
            try:
                world = await opening
            except (ConfigError, SandboxError, InfraError):  # it never started; nothing to read
                continue
            await self._discard(world, state)

    async def _discard(self, world: _World, state: dict[str, Any] | None = None) -> None:
        """End a world: stop its server, remove what its sandbox made, read its end state into
        `state["_mcp"]` (when given), delete its folder."""
        await world.session.close()
        try:
            await self.sandbox(world.server_id).dispose(world.name)
        finally:
            path = world.state_path
            if state is not None and path is not None and path.exists():
                state.setdefault("_mcp", {})[world.server_id] = json.loads(path.read_text())
            shutil.rmtree(world.folder, ignore_errors=True)

    def serves(self, tool: ToolSpec) -> bool:
        return tool.origin in self.servers

    async def _session(self, server_id: str) -> _Session:
        async with self._lock:
            sessions = self.sessions.setdefault(server_id, [])
            while len(sessions) < self.size:
                sessions.append(_Session(server_id, _plain(self.servers[server_id])))
                sessions[-1].start()
            turn = self._turn.get(server_id, 0)
            self._turn[server_id] = turn + 1
            index = turn % self.size
            session = sessions[index]
            if session.ready.is_set() and session.client is None:  # died: respawn
                await session.close()
                session = sessions[index] = _Session(server_id, _plain(self.servers[server_id]))
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


async def _alive(world: _World) -> bool:
    await world.session.ready.wait()
    return world.session.client is not None


def _read_world(world: _World) -> Any:
    """A started world's state as its server wrote it; None when there is none to read."""
    try:
        return json.loads(world.state_path.read_text()) if world.state_path is not None else None
    except (OSError, ValueError):
        return None


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
