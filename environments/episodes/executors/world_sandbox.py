"""Sandboxes for per-episode MCP worlds: which sandbox a server's worlds get, and the command that
starts one server process inside it.

The MCP stdio stream is the process's own stdin/stdout in every kind: `docker run -i` attaches the
container's stdio; bubblewrap and the rlimit shim exec the server in place. The episode folder is
seen at the same path inside as outside, read-write, so the state file protocol is unchanged:
`{episode_dir}` and the state file name one path, and `release` reads the end state host-side.

| kind      | network                 | filesystem                                           | limits |
|-----------|-------------------------|------------------------------------------------------|--------|
| `docker`  | none (`--network none`) | read-only root; cwd and site-packages read-only; the folder read-write | memory = memory+swap, pids, nofile, fsize; caps dropped, no-new-privileges, uid 65534 (ours when not root) |
| `bwrap`   | an empty net namespace  | `/` read-only; the folder read-write; own /dev, /proc | rlimits (no cgroups); uid 65534 in a user namespace, caps dropped, dies with us |
| `process` | the host's: NOT isolated | the host's: NOT isolated                            | rlimits; own process group (killed as a group) |
| `none`    | the host's              | the host's                                           | none |

`auto` picks docker when the engine, the docker CLI and the image are there and the image's
python3 matches this interpreter (the virtualenv's site-packages are mounted, not installed), else
`local`: bubblewrap when it works here, else `process`, logged as weaker. Writable temp files go to
the episode folder (`TMPDIR`, `HOME`): nothing else is writable in docker or bwrap.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import re
import resource
import shutil
import site
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import docker.errors
from mcp import StdioServerParameters

from environments.episodes.config import MCPServerConfig
from sandbox.docker_backend import LABEL, LABEL_CREATED, LABEL_OWNER, DockerBackend
from sandbox.errors import SandboxError
from sandbox.local_backend import bwrap_works
from sandbox.models import SANDBOX_UID, DockerBackendConfig
from toolforge.core.errors import ConfigError

Kind = Literal["docker", "bwrap", "process", "none"]
LABEL_WORLD = "toolforge.world"
MEMORY_MB = 1024
PIDS = 128
NOFILE = 1024
FSIZE_MB = 256
# The docker CLI reads these; the MCP client passes the child only a few safe variables.
DOCKER_CLIENT_ENV = (
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "DOCKER_TLS_VERIFY",
    "DOCKER_CERT_PATH",
)
# Sets rlimits, then execs the command in place (argv[1]: the limits; argv[2:]: the command).
RLIMIT_SHIM = (
    "import json,os,resource,sys\n"
    "for k,v in json.loads(sys.argv[1]).items(): resource.setrlimit(getattr(resource,k),(v,v))\n"
    "os.execvp(sys.argv[2],sys.argv[2:])"
)
log = logging.getLogger(__name__)


def is_python(command: str) -> bool:
    return (
        command in ("python", "python3")
        or command == sys.executable
        or Path(command).name.startswith("python")
    )


def _rlimits() -> dict[str, int]:
    limits = {
        "RLIMIT_AS": MEMORY_MB << 20,
        "RLIMIT_FSIZE": FSIZE_MB << 20,
        "RLIMIT_NOFILE": NOFILE,
        "RLIMIT_CORE": 0,
    }
    # Never above the hard limit we were given: raising it needs privileges the shim may lack.
    return {k: min(v, _hard(k)) for k, v in limits.items()}


def _hard(name: str) -> int:
    hard = resource.getrlimit(getattr(resource, name))[1]
    return sys.maxsize if hard == resource.RLIM_INFINITY else hard


@functools.cache
def _image_python(image: str) -> str:
    """The image's python3 version, asked once per process (~1 s: one short container)."""
    try:
        probe = subprocess.run(
            ["docker", "run", "--rm", "--network", "none", "--label", f"{LABEL}=1", image,
             "python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=120, env=_docker_client_env(),
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise SandboxError(
            f"image {image!r} did not run python3 within 120 s; is the engine overloaded?"
        ) from exc
    if probe.returncode != 0:
        raise SandboxError(f"image {image!r} cannot run python3 ({probe.stderr.strip()[-300:]})")
    return probe.stdout.strip()


def _docker_client_env() -> dict[str, str]:
    return {k: os.environ[k] for k in ("PATH", "HOME", *DOCKER_CLIENT_ENV) if k in os.environ}


def _site_dirs() -> list[str]:
    return [d for d in site.getsitepackages() if os.path.isdir(d)]


class DockerWorlds:
    """A pool's docker side: one engine connection, containers labelled with the pool's owner id,
    each world's container removed when it closes and a sweep of any left at the pool's end."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.backend = DockerBackend(DockerBackendConfig(owner=owner))  # EngineUnavailableError

    def check(self, image: str, python: bool) -> None:
        """Raise a SandboxError naming what is missing for worlds from `image`."""
        if shutil.which("docker") is None:
            raise SandboxError("the docker CLI is not on PATH (`apt-get install docker.io`)")
        self.backend.require_image(
            image
        )  # ImageMissingError: "build it with `toolforge sandbox build-image`"
        if python:
            ours = f"{sys.version_info.major}.{sys.version_info.minor}"
            theirs = _image_python(image)
            if theirs != ours:
                raise SandboxError(
                    f"image {image!r} has Python {theirs} but this interpreter is {ours}: the virtualenv's "
                    f"site-packages are mounted into the container, so both must be the same version"
                )

    def params(
        self, server_id: str, config: MCPServerConfig, folder: Path, name: str
    ) -> StdioServerParameters:
        cwd = os.path.abspath(config.cwd or os.getcwd())
        python = is_python(config.command)
        env = {**config.env, "HOME": str(folder), "TMPDIR": str(folder), "PYTHONDONTWRITEBYTECODE": "1"}
        mounts = [f"{cwd}:{cwd}:ro"]
        if python:  # the container's python3 runs on this virtualenv's packages, mounted read-only
            sites = _site_dirs()
            mounts += [f"{d}:{d}:ro" for d in sites]
            env["PYTHONPATH"] = ":".join([*sites, *filter(None, [config.env.get("PYTHONPATH")])])
        mounts.append(f"{folder}:{folder}")
        user = f"{SANDBOX_UID}:{SANDBOX_UID}" if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"
        argv = [
            "run", "-i", "--init", "--name", name,
            "--label", f"{LABEL}=1", "--label", f"{LABEL_OWNER}={self.owner}",
            "--label", f"{LABEL_CREATED}={int(time.time())}", "--label", f"{LABEL_WORLD}={server_id}",
            "--network", "none", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true",
            "--user", user, "--read-only",
            "--memory", f"{MEMORY_MB}m", "--memory-swap", f"{MEMORY_MB}m", "--pids-limit", str(PIDS),
            "--ulimit", f"nofile={NOFILE}:{NOFILE}", "--ulimit", f"fsize={FSIZE_MB << 20}",
            "--log-driver", "none", "--workdir", cwd,
        ]  # fmt: skip
        for mount in mounts:
            argv += ["--volume", mount]
        for key, value in env.items():
            argv += ["--env", f"{key}={value}"]
        argv += [config.sandbox_image, "python3" if python else config.command, *config.args]
        return StdioServerParameters(command="docker", args=argv, env=_docker_client_env())

    def remove(self, name: str) -> None:
        try:
            self.backend.client.api.remove_container(name, force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: its removal is already under way
                raise

    def close(self) -> list[str]:
        """Remove every container of this pool still there; returns their names."""
        left = self.backend.gc(owner=self.owner)
        self.backend.close()
        return left


class WorldSandbox:
    """Starts one server's per-episode processes in the sandbox its config asks for, resolved once."""

    def __init__(self, server_id: str, config: MCPServerConfig, docker: Callable[[], DockerWorlds]) -> None:
        self.server_id = server_id
        self.config = config
        self.docker: DockerWorlds | None = None
        self.kind: Kind = self._resolve(docker)

    def _resolve(self, docker: Callable[[], DockerWorlds]) -> Kind:
        asked = self.config.sandbox
        if asked == "none":
            return "none"
        python = is_python(self.config.command)
        if asked == "docker" or (asked == "auto" and python):
            try:
                worlds = docker()
                worlds.check(self.config.sandbox_image, python)
            except SandboxError as exc:
                if asked == "docker":
                    raise ConfigError(
                        f"MCP server {self.server_id!r} runs its worlds in docker (world.sandbox: docker), "
                        f"but {exc}. Fix that, or set world.sandbox: local in the servers file"
                    ) from exc
                log.info(
                    "MCP server %r: docker worlds unavailable (%s); using the local sandbox",
                    self.server_id,
                    exc,
                )
            else:
                self.docker = worlds
                return "docker"
        if asked in ("auto", "local", "bwrap") and bwrap_works():
            return "bwrap"
        if asked == "bwrap":
            raise ConfigError(
                f"MCP server {self.server_id!r} asks for world.sandbox: bwrap, but bubblewrap is not usable "
                f"here: `apt-get install bubblewrap`, or set world.sandbox: process (weaker: rlimits only, "
                f"no network or filesystem isolation)"
            )
        if asked != "process":
            log.warning(
                "MCP server %r: no docker and no bubblewrap; its worlds run as rlimited processes "
                "with the host's network and filesystem (trusted servers only)",
                self.server_id,
            )
        return "process"

    def container_name(self) -> str:
        safe = re.sub(r"[^a-zA-Z0-9_.-]", "-", self.server_id)[:40]
        return f"tf-world-{safe}-{uuid.uuid4().hex[:10]}"

    def prepare(self, folder: Path) -> None:
        """Make the episode folder writable by the sandbox's user (docker as root: uid 65534)."""
        if self.kind == "docker" and os.geteuid() == 0:
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, SANDBOX_UID, SANDBOX_UID)

    def params(self, config: MCPServerConfig, folder: Path, name: str) -> StdioServerParameters:
        """How to start the server of `config` (its `{episode_dir}` already filled with `folder`)."""
        command = sys.executable if config.command in ("python", "python3") else config.command
        if self.kind == "none":
            return StdioServerParameters(
                command=command, args=list(config.args), env=config.env or None, cwd=config.cwd
            )
        if self.kind == "docker":
            assert self.docker is not None
            return self.docker.params(self.server_id, config, folder, name)
        argv = [command, *config.args]
        if self.kind == "bwrap":
            cwd = os.path.abspath(config.cwd or os.getcwd())
            argv = [
                "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                "--bind", str(folder), str(folder),
                "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--chdir", cwd, "--", *argv,
            ]  # fmt: skip
        return StdioServerParameters(
            command=sys.executable,
            args=["-I", "-S", "-c", RLIMIT_SHIM, json.dumps(_rlimits()), *argv],
            env={**config.env, "HOME": str(folder), "TMPDIR": str(folder)},
            cwd=config.cwd,
        )

    async def dispose(self, name: str) -> None:
        """After the world's process has ended: nothing of it may stay (docker: its container)."""
        if self.docker is not None:
            await asyncio.to_thread(self.docker.remove, name)

    def hint(self) -> str:
        if self.kind == "docker":
            return (
                f" (in docker, image {self.config.sandbox_image}: its code must be readable by uid "
                f"{SANDBOX_UID}; try world.sandbox: local to compare)"
            )
        return f" (sandbox: {self.kind})"
