"""Docker backend: hardened containers driven through the docker SDK, never an implicit pull.

Covered (each checked by a test against a real container, tests/sandbox/test_hostile.py):
  no network (`network_mode=none`), all capabilities dropped, no-new-privileges, uid 65534,
  read-only root with sized tmpfs for the workdir and /tmp, memory == memory+swap, CPU quota,
  pids limit, nofile/fsize ulimits; every command under `timeout -s KILL` inside the container,
  a client-side deadline, and a `kill -9 -1` sweep as the sandbox uid after every command;
  labels on every container so `gc` removes leftovers.
Not covered: kernel exploits (use `runtime="runsc"` for gVisor), disk I/O bandwidth, and the
  host's Docker daemon itself (never mount its socket into a sandbox).

Commands travel over the container's attached stdin/stdout to `exec_server.py` (PID 1); files
travel as tar through `docker exec` (the archive API cannot see tmpfs mounts).
"""

from __future__ import annotations

import itertools
import json
import os
import posixpath
import socket
import struct
import threading
import time
import uuid
from base64 import b64decode, b64encode
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container
from docker.types import LogConfig, Ulimit

from sandbox import tarfiles
from sandbox.base import Backend, Sandbox
from sandbox.errors import EngineUnavailableError, ImageMissingError, SandboxBrokenError, SandboxError
from sandbox.models import SANDBOX_UID, WORKDIR, DockerBackendConfig, ExecRequest, ExecResult, SandboxSpec

LABEL = "toolforge.sandbox"
LABEL_OWNER = "toolforge.sandbox.owner"
LABEL_CREATED = "toolforge.sandbox.created"
SERVER_SOURCE = (Path(__file__).parent / "exec_server.py").read_text()
BASE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": WORKDIR,
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
}


def unix_socket_error(base_url: str | None = None) -> OSError | None:
    """Why the engine's unix socket (`base_url`, else $DOCKER_HOST, else docker's default) takes no
    connection; None when it does, or when the engine is reached another way (tcp, ssh).

    Checked before docker-py connects because a client that fails to connect while it is being
    built leaks that socket: docker-py never closes a unix socket whose connect failed, and the
    half-built client cannot be closed."""
    url = base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if not url.startswith("unix:"):
        return None
    path = url.removeprefix("unix:").removeprefix("//")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(5)
        try:
            probe.connect(path)
        except OSError as exc:
            return exc
    return None


def connect(config: DockerBackendConfig) -> docker.DockerClient:
    """A client with a large HTTP pool (the default of 10 stalls under concurrency)."""
    if (refused := unix_socket_error(config.base_url)) is not None:
        raise EngineUnavailableError(
            f"no Docker engine answered ({refused}); start dockerd, set DOCKER_HOST, or use the local backend"
        )
    try:
        if config.base_url:
            client = docker.DockerClient(
                base_url=config.base_url,
                timeout=int(config.client_timeout_s),
                max_pool_size=config.max_pool_size,
            )
        else:
            client = docker.from_env(timeout=int(config.client_timeout_s), max_pool_size=config.max_pool_size)
    except docker.errors.DockerException as exc:
        raise EngineUnavailableError(
            f"no Docker engine answered ({exc}); start dockerd, set DOCKER_HOST, or use the local backend"
        ) from exc
    try:
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.ConnectionError) as exc:
        client.close()  # its pool would otherwise hold the failed connection until collected
        raise EngineUnavailableError(
            f"no Docker engine answered ({exc}); start dockerd, set DOCKER_HOST, or use the local backend"
        ) from exc
    return client


def _raw(sock: Any) -> socket.socket:
    return getattr(sock, "_sock", sock)


def _close_stream(sock: Any) -> None:
    """Close a hijacked attach/exec stream for good. docker-py hands back the response's SocketIO,
    whose close() only drops a reference: the socket under it (and the HTTP response docker-py
    keeps on it) stay open until garbage collection, one leaked engine connection per stream."""
    response = getattr(sock, "_response", None)
    parts = [response, sock, _raw(sock)] if response is not None else [sock, _raw(sock)]
    for part in parts:
        try:
            part.close()
        except (OSError, ValueError):  # ValueError: already closed under the response
            pass


class _Frames:
    """Reads Docker's multiplexed stream (8-byte header per frame) with a deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.eof = False

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 16)
        except TimeoutError:
            raise
        except OSError:  # reset or closed by the engine: the stream is over
            chunk = b""
        if not chunk:
            self.eof = True
        self.buf += chunk

    def _parse(self, cap: int) -> None:
        while len(self.buf) >= 8:
            kind, size = struct.unpack(">BxxxL", self.buf[:8])
            if len(self.buf) < 8 + size:
                return
            payload = self.buf[8 : 8 + size]
            del self.buf[: 8 + size]
            target = self.stderr if kind == 2 else self.stdout
            room = max(cap - len(target), 0)
            target += payload[:room]

    def read_line(self, deadline: float) -> bytes | None:
        """The next stdout line, or None at end of stream."""
        while b"\n" not in self.stdout:
            if self.eof:
                return None
            self._fill(deadline)
            self._parse(1 << 40)
        line, _, rest = bytes(self.stdout).partition(b"\n")
        self.stdout = bytearray(rest)
        return line

    def drain(self, deadline: float, cap: int) -> None:
        while not self.eof:
            self._fill(deadline)
            self._parse(cap)
        self._parse(cap)


class DockerSandbox(Sandbox):
    """A started container whose PID 1 is the exec server; one command at a time."""

    def __init__(self, backend: DockerBackend, container: Container, spec: SandboxSpec) -> None:
        self.backend = backend
        self.container = container
        self.spec = spec
        self.id = container.name or container.id or ""
        self.workdir = WORKDIR
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._closed = False
        self._broken = False
        self._attach_sock: Any = None
        self._frames: _Frames | None = None
        self._ready = False  # the exec server has answered once

    # -- lifecycle -------------------------------------------------------------------------
    def _attach(self) -> None:
        api = self.backend.client.api
        if self.container.id is None:  # docker-py types it optional; a created container has one
            raise SandboxBrokenError(f"sandbox {self.id} has no container id")
        sock = api.attach_socket(
            self.container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
        )
        self._attach_sock = sock
        self._frames = _Frames(_raw(sock))

    def _request(self, payload: dict[str, Any], deadline: float) -> dict[str, Any]:
        if self._closed or self._broken or self._frames is None:
            raise SandboxBrokenError(f"sandbox {self.id} is closed")
        payload["id"] = next(self._ids)
        if not self._ready:
            deadline += self.spec.start_timeout_s
        try:
            self._frames.sock.sendall(json.dumps(payload).encode() + b"\n")
            line = self._frames.read_line(deadline)
        except TimeoutError:
            self._fail(f"sandbox {self.id} gave no answer before its deadline; it was destroyed", sweep=True)
        except OSError as exc:
            self._fail(f"sandbox {self.id} connection failed ({exc}); it was destroyed")
        if line is None:
            self._fail(f"sandbox {self.id} died ({self._death_reason()}); it was destroyed")
        try:
            reply = json.loads(line)
        except json.JSONDecodeError:
            self._fail(f"sandbox {self.id} sent a malformed reply {line[:200]!r}; it was destroyed")
        if reply.get("id") != payload["id"]:
            self._fail(f"sandbox {self.id} answered out of turn; it was destroyed")
        self._ready = True
        return reply

    def _death_reason(self) -> str:
        said = bytes(self._frames.stderr[-300:]).decode(errors="replace").strip() if self._frames else ""
        try:
            self.container.reload()
            state = self.container.attrs["State"]
            reason = (
                f"status {state['Status']}, exit code {state['ExitCode']}, OOMKilled {state['OOMKilled']}"
            )
        except docker.errors.NotFound:
            reason = "container removed"
        return f"{reason}; exec server said: {said}" if said else reason

    def _fail(self, message: str, sweep: bool = False) -> NoReturn:
        self._broken = True
        if sweep:
            try:  # layer (c): kill everything the sandbox uid owns, then destroy anyway
                self.backend.client.api.exec_start(
                    self.backend.client.api.exec_create(
                        self.container.id, ["kill", "-9", "-1"], user=f"{SANDBOX_UID}:{SANDBOX_UID}"
                    )["Id"],
                    detach=True,
                )
            except docker.errors.APIError:
                pass
        self.close()
        raise SandboxBrokenError(message)

    def ping(self, timeout_s: float = 10.0) -> dict[str, Any]:
        with self._lock:
            return self._request({"op": "ping"}, time.monotonic() + timeout_s)

    def healthy(self) -> bool:
        if self._closed or self._broken:
            return False
        try:
            self.ping(5.0)
        except SandboxBrokenError:
            return False
        return True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._attach_sock is not None:
            _close_stream(self._attach_sock)
        try:
            self.container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: removal already in progress
                raise

    @property
    def closed(self) -> bool:
        return self._closed or self._broken

    # -- commands ---------------------------------------------------------------------------
    def _abspath(self, path: str | None) -> str:
        if path is None:
            return self.workdir
        return posixpath.normpath(posixpath.join(self.workdir, path))

    def run(self, request: ExecRequest) -> ExecResult:
        payload = {
            "op": "run",
            "argv": request.argv(),
            "timeout": request.timeout_s,
            "env": request.env,
            "cwd": self._abspath(request.workdir),
            "stdin": b64encode(request.stdin).decode() if request.stdin else None,
            "cap": self.spec.limits.output_bytes,
        }
        with self._lock:
            reply = self._request(
                payload, time.monotonic() + request.timeout_s + self.backend.config.deadline_grace_s
            )
        return ExecResult(
            exit_code=reply["exit_code"],
            stdout=b64decode(reply["stdout"]).decode("utf-8", "replace"),
            stderr=b64decode(reply["stderr"]).decode("utf-8", "replace"),
            timed_out=reply["timed_out"],
            truncated_bytes=reply["dropped"],
            duration_s=reply["duration"],
        )

    # -- files: tar through docker exec -------------------------------------------------------
    def _docker_exec(
        self, argv: list[str], stdin: bytes | None, timeout_s: float, cap: int
    ) -> tuple[int, bytes, bytes]:
        api = self.backend.client.api
        eid = api.exec_create(
            self.container.id,
            argv,
            stdin=stdin is not None,
            user=f"{SANDBOX_UID}:{SANDBOX_UID}",
            workdir=self.workdir,
        )["Id"]
        sock = api.exec_start(eid, socket=True)
        raw = _raw(sock)
        deadline = time.monotonic() + timeout_s
        frames = _Frames(raw)
        try:
            if stdin is not None:
                raw.settimeout(timeout_s)
                raw.sendall(stdin)
                raw.shutdown(socket.SHUT_WR)
            frames.drain(deadline, cap)
        except TimeoutError:
            self._fail(
                f"file transfer in sandbox {self.id} passed its deadline; it was destroyed", sweep=True
            )
        finally:
            _close_stream(sock)
        code = api.exec_inspect(eid)["ExitCode"]
        return code, bytes(frames.stdout), bytes(frames.stderr)

    def write_files(self, files: Mapping[str, bytes | str]) -> None:
        if not files:
            return
        data = tarfiles.pack(files, SANDBOX_UID, SANDBOX_UID)
        with self._lock:  # a command's closing sweep would kill a concurrent tar
            code, _, err = self._docker_exec(
                ["tar", "-x", "-f", "-", "-C", self.workdir], data, 120.0, 1 << 16
            )
        if code != 0:
            raise OSError(
                f"writing {len(files)} file(s) into sandbox {self.id} failed: {err.decode()[-500:]}"
            )

    def read_file(self, path: str, max_bytes: int = 1 << 20) -> bytes:
        full = self._abspath(path)
        parent, name = posixpath.split(full)
        with self._lock:
            code, out, err = self._docker_exec(
                ["tar", "-c", "-f", "-", "-C", parent or "/", name], None, 120.0, max_bytes + (1 << 16)
            )
        if code != 0:
            raise FileNotFoundError(f"{full} in sandbox {self.id}: {err.decode(errors='replace').strip()}")
        return tarfiles.unpack_one(out, max_bytes)


class DockerBackend(Backend):
    """Starts hardened containers from a locally present image."""

    name = "docker"

    def __init__(self, config: DockerBackendConfig | None = None) -> None:
        self.config = config or DockerBackendConfig()
        self.client = connect(self.config)
        self._present: set[str] = set()

    def require_image(self, image: str) -> None:
        if image in self._present:
            return
        try:
            self.client.images.get(image)
        except docker.errors.ImageNotFound as exc:
            raise ImageMissingError(
                f"sandbox image {image!r} is not present and is never pulled; "
                f"build it with `toolforge sandbox build-image --tag {image}`"
            ) from exc
        self._present.add(image)

    def _check_network(self, network: str) -> None:
        if network == "none":
            return
        net = self.client.networks.get(network)
        if not net.attrs.get("Internal"):
            raise ValueError(
                f"network {network!r} is not internal, so sandboxes could reach the outside; "
                f"create it with `docker network create --internal {network}` or use network='none'"
            )

    def create_args(self, spec: SandboxSpec) -> dict[str, Any]:
        """The engine-API arguments of a sandbox container (one `create_container` call, no inspect)."""
        lim = spec.limits
        self._check_network(spec.network)
        host_config = self.client.api.create_host_config(
            network_mode=spec.network,
            mem_limit=f"{lim.memory_mb}m",
            memswap_limit=f"{lim.memory_mb}m",
            nano_cpus=int(lim.cpus * 1e9),
            pids_limit=lim.pids,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges:true"],
            read_only=True,
            tmpfs={
                "/tmp": f"rw,exec,nosuid,nodev,size={lim.tmp_mb}m,mode=1777",
                WORKDIR: f"rw,exec,nosuid,nodev,size={lim.workdir_mb}m,uid={SANDBOX_UID},gid={SANDBOX_UID},mode=0755",
            },
            ulimits=[
                Ulimit(name="nofile", soft=lim.nofile, hard=lim.nofile),
                Ulimit(name="fsize", soft=lim.fsize_mb << 20, hard=lim.fsize_mb << 20),
            ],
            log_config=LogConfig(type="none"),
            init=False,
        )
        return {
            "image": spec.image,
            "command": ["python3", "-I", "-S", "-c", SERVER_SOURCE],
            "name": f"tf-sbx-{uuid.uuid4().hex[:12]}",
            "labels": {
                **spec.labels,
                LABEL: "1",
                LABEL_OWNER: self.config.owner,
                LABEL_CREATED: str(int(time.time())),
            },
            "user": f"{SANDBOX_UID}:{SANDBOX_UID}",
            "working_dir": WORKDIR,
            "environment": {**BASE_ENV, **spec.env},
            "stdin_open": True,
            "stop_signal": "SIGKILL",
            "hostname": "sandbox",
            "host_config": host_config,
            "runtime": spec.runtime,
        }

    def start(self, spec: SandboxSpec) -> DockerSandbox:
        """Create, start and attach. The exec server's first answer is awaited by the first
        request (within `spec.start_timeout_s`), so its interpreter start overlaps the caller's work."""
        self.require_image(spec.image)
        args = self.create_args(spec)
        created = self.client.api.create_container(**args)
        container = self.client.containers.prepare_model({"Id": created["Id"], "Name": "/" + args["name"]})
        sandbox = DockerSandbox(self, container, spec)
        try:
            container.start()
            sandbox._attach()
        except docker.errors.APIError as exc:
            sandbox.close()
            raise SandboxError(
                f"sandbox from {spec.image!r} did not start ({exc.explanation or exc}); the image needs "
                f"python3, tar and coreutils: build it with `toolforge sandbox build-image`"
            ) from exc
        except BaseException:
            sandbox.close()
            raise
        return sandbox

    def list(self, owner: str | None = None) -> list[Container]:
        labels = [LABEL] + ([f"{LABEL_OWNER}={owner}"] if owner else [])
        # ignore_removed: a container another owner removes between the listing and its inspect
        # is not an error (the engine is shared by concurrent runs)
        return self.client.containers.list(all=True, filters={"label": labels}, ignore_removed=True)

    def gc(self, owner: str | None = None, older_than_s: float = 0.0) -> list[str]:
        """Remove labelled containers (all owners unless `owner`), running ones included."""
        removed = []
        now = time.time()
        for container in self.list(owner):
            created = float(container.labels.get(LABEL_CREATED, "0"))
            if now - created < older_than_s:
                continue
            try:
                container.remove(force=True)
            except docker.errors.NotFound:
                continue
            removed.append(container.name or container.id)
        return removed

    def close(self) -> None:
        self.client.close()
