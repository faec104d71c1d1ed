"""Local backend: for machines without a container engine. WEAKER isolation than Docker.

Two modes (`isolation`):
- `bwrap` (bubblewrap installed): each command runs in fresh user, pid, net, ipc and uts
  namespaces as uid 65534, with the host's system directories read-only (`ro_binds`), a
  private /tmp, the sandbox's workdir bound at /workspace, all capabilities dropped and
  `--die-with-parent`. When the command ends its pid namespace ends, so nothing outlives it.
  Covered: network, writes outside the workdir, stray processes. Not covered: reading what
  `ro_binds` exposes (by default /usr, /etc, ...), memory/pids limits beyond rlimits (no cgroups).
- `process` (nothing else available): a subprocess in its own process group with rlimits
  (address space, CPU time, file size, open files) and a wall-clock kill of the group.
  Covered: runaway CPU, memory and file size, the process group. NOT covered: the network,
  the host filesystem (same uid as the engine), processes that call `setsid`. Trusted code only,
  so it runs only when asked for by `unsafe_no_isolation` (`--unsafe-no-isolation`).
"""

from __future__ import annotations

import os
import resource
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from sandbox.base import Backend, Sandbox
from sandbox.errors import IsolationUnavailableError
from sandbox.models import SANDBOX_UID, WORKDIR, ExecRequest, ExecResult, LocalBackendConfig, SandboxSpec
from sandbox.tarfiles import safe_relpath

BASE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
}


def bwrap_works() -> bool:
    if shutil.which("bwrap") is None:
        return False
    probe = subprocess.run(
        ["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"], capture_output=True
    )
    return probe.returncode == 0


def _capture(
    proc: subprocess.Popen[bytes], stdin: bytes, cap: int, deadline: float
) -> tuple[bytes, bytes, int, bool]:
    """Read stdout/stderr (each cut at `cap`), feed stdin, until EOF or the deadline."""
    assert proc.stdout is not None and proc.stderr is not None
    bufs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    sel = selectors.DefaultSelector()
    for fd in bufs:
        sel.register(fd, selectors.EVENT_READ)
    pending = memoryview(stdin)
    if proc.stdin is not None:
        if pending:
            sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE)
        else:
            proc.stdin.close()
    dropped = 0
    expired = False
    while sel.get_map():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            expired = True
            break
        for key, _ in sel.select(min(remaining, 1.0)):
            fd = int(key.fd)
            if fd in bufs:
                chunk = os.read(fd, 65536)
                if not chunk:
                    sel.unregister(fd)
                    continue
                room = max(cap - len(bufs[fd]), 0)
                bufs[fd] += chunk[:room]
                dropped += len(chunk) - min(room, len(chunk))
            else:
                assert proc.stdin is not None
                try:
                    n = os.write(fd, pending[:65536])
                    pending = pending[n:]
                except BrokenPipeError:
                    pending = pending[:0]
                if not pending:
                    sel.unregister(fd)
                    proc.stdin.close()
    sel.close()
    return bytes(bufs[proc.stdout.fileno()]), bytes(bufs[proc.stderr.fileno()]), dropped, expired


class LocalSandbox(Sandbox):
    def __init__(self, spec: SandboxSpec, isolation: str, ro_binds: list[str]) -> None:
        self.spec = spec
        self.isolation = isolation
        self.ro_binds = [p for p in ro_binds if os.path.exists(p)]
        self.id = f"tf-local-{uuid.uuid4().hex[:12]}"
        self.host_dir = Path(tempfile.mkdtemp(prefix=f"{self.id}-"))
        self.workdir = WORKDIR if isolation == "bwrap" else str(self.host_dir)
        self._closed = False

    def _host_path(self, path: str) -> Path:
        """Map a sandbox path (relative, or absolute under the workdir) to the host, refusing escapes."""
        if path.startswith("/"):
            if not (path == self.workdir or path.startswith(self.workdir.rstrip("/") + "/")):
                raise PermissionError(f"{path} is outside the sandbox workdir {self.workdir}")
            path = os.path.relpath(path, self.workdir)
        target = (self.host_dir / path).resolve()
        if target != self.host_dir.resolve() and self.host_dir.resolve() not in target.parents:
            raise PermissionError(f"{path} resolves outside the sandbox workdir")
        return target

    def _rlimits(self) -> None:
        lim = self.spec.limits
        resource.setrlimit(resource.RLIMIT_AS, (lim.memory_mb << 20, lim.memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_FSIZE, (lim.fsize_mb << 20, lim.fsize_mb << 20))
        resource.setrlimit(resource.RLIMIT_NOFILE, (lim.nofile, lim.nofile))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def run(self, request: ExecRequest) -> ExecResult:
        if self._closed:
            raise RuntimeError(f"sandbox {self.id} is closed")
        cwd_rel = os.path.relpath(str(self._host_path(request.workdir or ".")), self.host_dir)
        timeout = request.timeout_s
        inner = ["timeout", "-s", "KILL", f"{timeout:g}", *request.argv()]
        env = {**BASE_ENV, "HOME": self.workdir, **self.spec.env, **request.env}
        if self.isolation == "bwrap":
            # The private /tmp comes first: a read-only bind below it (a venv in /tmp, say) must
            # land on top of the tmpfs, not be hidden by it.
            argv = ["bwrap", "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
            for path in self.ro_binds:
                argv += ["--ro-bind", path, path]
            argv += [
                "--bind", str(self.host_dir), WORKDIR,
                "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
                "--chdir", os.path.normpath(os.path.join(WORKDIR, cwd_rel)),
                "--clearenv",
            ]  # fmt: skip
            for key, value in env.items():
                argv += ["--setenv", key, value]
            argv += ["--", *inner]
            cwd = None
        else:
            argv, cwd = inner, str(self.host_dir / cwd_rel)
        t0 = time.monotonic()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
            preexec_fn=self._rlimits,
        )
        deadline = t0 + timeout + 5
        with proc:  # closes the three pipes however this ends (they were left to the collector)
            out, err, dropped, expired = _capture(
                proc, request.stdin or b"", self.spec.limits.output_bytes, deadline
            )
            if not expired:
                try:  # the pipes closed; the command itself may still be exiting
                    proc.wait(timeout=max(deadline - time.monotonic(), 0))
                except subprocess.TimeoutExpired:
                    expired = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group (bwrap: already gone)
            except ProcessLookupError:
                pass
            code = proc.wait()
        duration = time.monotonic() - t0
        return ExecResult(
            exit_code=code if code >= 0 else 128 - code,
            stdout=out.decode("utf-8", "replace"),
            stderr=err.decode("utf-8", "replace"),
            timed_out=expired or (code in (137, -9) and duration >= timeout * 0.98),
            truncated_bytes=dropped,
            duration_s=duration,
        )

    def write_files(self, files: Mapping[str, bytes | str]) -> None:
        for name, content in files.items():
            target = self._host_path(safe_relpath(name))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)
            if name.endswith(".sh"):
                target.chmod(0o755)

    def read_file(self, path: str, max_bytes: int = 1 << 20) -> bytes:
        target = self._host_path(path)
        if not target.exists():
            raise FileNotFoundError(f"{path} in sandbox {self.id}")
        with open(target, "rb") as fh:
            return fh.read(max_bytes)

    def healthy(self) -> bool:
        return not self._closed and self.host_dir.is_dir()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            shutil.rmtree(self.host_dir, ignore_errors=True)


class LocalBackend(Backend):
    name = "local"

    def __init__(self, config: LocalBackendConfig | None = None) -> None:
        self.config = config or LocalBackendConfig()
        isolation = self.config.isolation
        if isolation == "auto":
            isolation = "bwrap" if bwrap_works() else "process"
        elif isolation == "bwrap" and not bwrap_works():
            raise IsolationUnavailableError(
                "bubblewrap is not usable here: install it (`apt-get install bubblewrap`), or pass "
                "--unsafe-no-isolation (unsafe_no_isolation: true) to run code unisolated"
            )
        if isolation == "process" and not self.config.unsafe_no_isolation:
            raise IsolationUnavailableError(
                "the local backend would run untrusted code without isolation (as this user, on the "
                "host file system, with the network): bubblewrap is missing or not chosen. Install it "
                "(`apt-get install bubblewrap`), use the docker backend, or pass --unsafe-no-isolation "
                "(unsafe_no_isolation: true) to run it anyway"
            )
        self.isolation = isolation

    def start(self, spec: SandboxSpec) -> LocalSandbox:
        return LocalSandbox(spec, self.isolation, self.config.ro_binds)
