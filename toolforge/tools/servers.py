"""Server configs for harvesting: the ``mcpServers`` file users already write for their clients.

JSON or YAML::

    {"mcpServers": {
        "git":  {"command": "mcp-server-git", "args": ["--repository", "."], "env": {}, "cwd": "."},
        "docs": {"url": "http://127.0.0.1:8765/mcp", "headers": {"Authorization": "Bearer …"}}}}

A bare ``{name: {...}}`` mapping is accepted too. Keys other clients add for themselves
(`disabled`, `autoApprove`, `alwaysAllow`, `description`, `type`/`transport`) are read or ignored;
anything else is an error that names the key. ``"command": "python"`` means the interpreter running
toolforge, so servers written in Python see the same virtual environment. Relative `cwd`s are taken
from the servers file's folder. Per-server ``startTimeout``/``listTimeout`` (seconds) override the
harvest defaults.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from toolforge.core.errors import ConfigError
from toolforge.core.yaml_strict import load_yaml

# Keys some MCP clients put in their configs that mean nothing to a harvest.
CLIENT_KEYS = frozenset({"autoApprove", "alwaysAllow", "description", "disabledTools", "timeout", "icon"})


# Where a world's server process runs (environments/episodes/executors/world_sandbox.py): `local` is
# bubblewrap when installed, else `process` (an rlimited process group: weaker, trusted code only).
WorldSandbox = Literal["auto", "docker", "local", "bwrap", "process", "none"]


class WorldSpec(BaseModel):
    """How a server's world is isolated and read back, for servers whose state lives in one JSON
    file (as the example servers'): every episode starts the server with `state_env` pointing at a
    fresh file seeded with the task's initial world, and reads the file back as its end state. The
    process runs in a `sandbox`; `warm` copies started from the server's own seed wait ready."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    state_env: str = Field(alias="stateEnv", description="the variable naming the server's state file")
    state_file: str = Field(
        default="state.json", alias="stateFile", description="the file's name in the episode folder"
    )
    sandbox: WorldSandbox = Field(
        default="auto",
        description="where each episode's server process runs; auto: docker if usable, else local",
    )
    warm: int = Field(
        default=4, ge=0, description="worlds kept started ahead from the server's own seed (0: none)"
    )
    image: str | None = Field(
        default=None,
        alias="sandboxImage",
        description="the docker sandbox's image (default: the toolforge sandbox)",
    )


class ServerConfig(BaseModel):
    """One server: a stdio command or a streamable-HTTP URL."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    transport: Literal["stdio", "http", "streamable-http", "streamableHttp"] | None = Field(
        default=None, alias="type"
    )
    disabled: bool = False
    start_timeout_s: float | None = Field(default=None, alias="startTimeout", gt=0)
    list_timeout_s: float | None = Field(default=None, alias="listTimeout", gt=0)
    source: str = Field(default="", description="where the server comes from, e.g. pypi:mcp-server-git==1.0")
    # Set for servers whose tools episodes run for real, each on a fresh, seeded copy of the world.
    world: WorldSpec | None = None

    @model_validator(mode="after")
    def _one_transport(self) -> ServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError(f"server {self.name!r} needs exactly one of 'command' (stdio) or 'url' (HTTP)")
        return self

    @property
    def kind(self) -> Literal["stdio", "http"]:
        return "stdio" if self.command is not None else "http"

    def describe(self) -> str:
        if self.command is not None:
            return shlex.join([self.command, *self.args])
        return str(self.url)


def parse_servers(data: Any, base_dir: Path | None = None) -> list[ServerConfig]:
    """Server configs from a parsed ``mcpServers`` document (or a bare name → config mapping)."""
    if not isinstance(data, dict):
        raise ConfigError('a servers file must hold a mapping: {"mcpServers": {name: {command|url, ...}}}')
    servers = data.get("mcpServers", data.get("servers", data))
    if not isinstance(servers, dict):
        raise ConfigError("'mcpServers' must map server names to {command, args, env} or {url} objects")
    out: list[ServerConfig] = []
    for name, raw in servers.items():
        if not isinstance(raw, dict):
            raise ConfigError(f"server {name!r}: expected an object with 'command' or 'url', got {raw!r}")
        fields = {k: v for k, v in raw.items() if k not in CLIENT_KEYS}
        if fields.get("type") == "sse" or fields.get("transport") == "sse":
            raise ConfigError(f"server {name!r}: the SSE transport is not supported; use streamable HTTP")
        if "transport" in fields:
            fields["type"] = fields.pop("transport")
        try:
            cfg = ServerConfig(name=str(name), **fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"server {name!r}: {where}: {first['msg']}") from exc
        if cfg.cwd is not None and base_dir is not None and not Path(cfg.cwd).is_absolute():
            cfg.cwd = str((base_dir / cfg.cwd).resolve())
        if not cfg.disabled:
            out.append(cfg)
    return out


def load_servers(path: Path) -> list[ServerConfig]:
    """Read a JSON or YAML servers file."""
    if not path.exists():
        raise ConfigError(f"servers file {path} does not exist")
    text = path.read_text()
    try:
        if path.suffix in (".yaml", ".yml"):
            data = load_yaml(text, source=str(path))
        else:
            data = json.loads(text, object_pairs_hook=lambda pairs: _unique_keys(pairs, path))
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot parse {path}: {exc}") from exc
    return parse_servers(data, base_dir=path.parent)


def _unique_keys(pairs: list[tuple[str, Any]], path: Path) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ConfigError(
            f"{path}: key(s) {twice} appear twice in one object; the second would replace the first: keep one"
        )
    return dict(pairs)


def server_from_cli(spec: str, name: str | None = None) -> ServerConfig:
    """A server from the command line: an ``http(s)://`` URL or a shell-quoted stdio command."""
    if spec.startswith(("http://", "https://")):
        return ServerConfig(name=name or spec.split("//", 1)[1].split("/", 1)[0], url=spec)
    words = shlex.split(spec)
    if not words:
        raise ConfigError("an empty server command; pass e.g. 'mcp-server-time --local-timezone UTC'")
    return ServerConfig(name=name or Path(words[0]).name, command=words[0], args=words[1:])
