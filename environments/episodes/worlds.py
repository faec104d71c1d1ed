"""Worlds backed by real MCP servers: which harvested servers episodes run on, and how.

A server with a `world` section in the servers file (see `toolforge.tools.servers.WorldSpec`)
keeps its whole state in one JSON file. Every episode, and every blueprint replay at task
generation, gets its own server process with its own copy of that file, seeded with the task's
initial world (`state["_mcp"][server]`), and reads the file back at the end: one world per
episode, the same world the task was sampled from, and an end state the state check can compare.
The process runs in the world's sandbox (docker, bubblewrap or an rlimited process group:
`world.sandbox`), and copies started from the server's own seed wait ready (`world.warm`), so a
fresh world costs an episode little.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from environments.episodes.config import MCPServerConfig
from toolforge.tools.servers import ServerConfig


def world_servers(servers: Sequence[ServerConfig]) -> dict[str, MCPServerConfig]:
    """The episode configs of the servers that declare a world; the others are simulated."""
    out: dict[str, MCPServerConfig] = {}
    for server in servers:
        if server.world is None or server.command is None:
            continue
        state_file = "{episode_dir}/" + server.world.state_file
        command = sys.executable if server.command in ("python", "python3") else server.command
        out[server.name] = MCPServerConfig(
            command=command,
            args=list(server.args),
            env={**server.env, server.world.state_env: state_file},
            cwd=server.cwd,
            per_episode=True,
            state_file=state_file,
            sandbox=server.world.sandbox,
            warm=server.world.warm,
            **({"sandbox_image": server.world.image} if server.world.image else {}),
        )
    return out
