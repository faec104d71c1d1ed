"""What the example servers share: a JSON state file, the command line, and the annotation presets.

Each server keeps its whole world in one JSON document. With a state file (``--state PATH`` or the
server's ``*_STATE_FILE`` environment variable) the document is loaded at start (seeded when the
file does not exist) and written back atomically after every change, so an episode isolates its
world by giving each server process its own file. Without one, the state lives in memory only.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
from pathlib import Path
from typing import Any

from mcp.server import MCPServer
from mcp.types import ToolAnnotations

# Annotation presets (MCP hint names). Hints only: a client must not trust them for policy.
READ = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
CREATE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)
ADD = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
UPDATE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)
DESTROY = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)
ACTION = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False
)


class JsonState:
    """A JSON document with id counters; `save()` after each change when a path is set."""

    def __init__(self, path: Path | None, seed: dict[str, Any]) -> None:
        self.path = path
        if path is not None and path.exists():
            self.data: dict[str, Any] = json.loads(path.read_text())
        else:
            self.data = copy.deepcopy(seed)
            self.data.setdefault("_counters", {})
            self.save()

    def next_id(self, prefix: str) -> str:
        counters: dict[str, int] = self.data.setdefault("_counters", {})
        counters[prefix] = counters.get(prefix, 0) + 1
        return f"{prefix}_{counters[prefix]:04d}"

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True))
        os.replace(tmp, self.path)


def state_path(arg: str | None, env_var: str) -> Path | None:
    """The state file: the ``--state`` argument, else the environment variable, else none."""
    value = arg or os.environ.get(env_var)
    return Path(value) if value else None


def main(name: str, env_var: str, build: Any, argv: list[str] | None = None) -> None:
    """Parse the command line and serve `build(state_path)` over stdio or streamable HTTP."""
    parser = argparse.ArgumentParser(prog=f"python -m examples.mcp_servers.{name}")
    parser.add_argument("--state", help=f"JSON state file (default: ${env_var}; none = in memory only)")
    parser.add_argument("--transport", choices=["stdio", "streamable-http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--verbose", action="store_true", help="log every request (and tool error) to stderr")
    args = parser.parse_args(argv)
    server: MCPServer = build(state_path(args.state, env_var))
    if not args.verbose:
        # A tool error is an answer the client already gets; logged too, it floods the console of
        # a run that starts a server per episode.
        logging.disable(logging.INFO)
    if args.transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=args.host, port=args.port)
