"""The two interfaces: a Backend (where sandboxes run) starts a Sandbox (what runs in one)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import TracebackType

from sandbox.models import ExecRequest, ExecResult, SandboxSpec


class Sandbox(ABC):
    """One isolated workspace. Commands run one at a time; `close` destroys everything in it."""

    id: str
    workdir: str

    def exec(
        self,
        cmd: str | list[str],
        *,
        timeout_s: float = 60.0,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
        stdin: bytes | None = None,
    ) -> ExecResult:
        """Run a command; a timeout is reported in the result, never raised."""
        return self.run(
            ExecRequest(cmd=cmd, timeout_s=timeout_s, env=dict(env or {}), workdir=workdir, stdin=stdin)
        )

    @abstractmethod
    def run(self, request: ExecRequest) -> ExecResult: ...

    @abstractmethod
    def write_files(self, files: Mapping[str, bytes | str]) -> None:
        """Write files at paths relative to the workdir (parents are created)."""

    @abstractmethod
    def read_file(self, path: str, max_bytes: int = 1 << 20) -> bytes:
        """Read a file (relative to the workdir, or absolute); FileNotFoundError if absent."""

    @abstractmethod
    def healthy(self) -> bool:
        """True when the sandbox answers a no-op command."""

    @abstractmethod
    def close(self) -> None:
        """Destroy the sandbox; safe to call twice."""

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Backend(ABC):
    """Starts sandboxes somewhere (a Docker engine, this host, later a Kubernetes cluster)."""

    name: str

    @abstractmethod
    def start(self, spec: SandboxSpec) -> Sandbox: ...

    def close(self) -> None:
        """Release client resources (sandboxes are closed by their owners)."""
        return None
