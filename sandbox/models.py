"""Request and result models shared by every backend (docker, local, later kubernetes)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_IMAGE = "toolforge-sandbox:bookworm"
SANDBOX_UID = 65534
WORKDIR = "/workspace"


class Limits(BaseModel):
    """Resource limits of one sandbox. Memory and swap are always equal (no swap)."""

    model_config = ConfigDict(extra="forbid")

    memory_mb: int = Field(default=1024, ge=16)
    cpus: float = Field(default=1.0, gt=0)
    pids: int = Field(default=256, ge=8)
    workdir_mb: int = Field(default=512, ge=1, description="size of the writable workdir (tmpfs)")
    tmp_mb: int = Field(default=256, ge=1, description="size of the writable /tmp (tmpfs)")
    nofile: int = Field(default=1024, ge=16)
    fsize_mb: int = Field(default=256, ge=1, description="largest file a process may write")
    output_bytes: int = Field(
        default=1 << 20, ge=1024, description="stdout and stderr are each cut at this size"
    )


class SandboxSpec(BaseModel):
    """What to start: an image, limits, environment and labels."""

    model_config = ConfigDict(extra="forbid")

    image: str = DEFAULT_IMAGE
    limits: Limits = Field(default_factory=Limits)
    env: dict[str, str] = Field(default_factory=dict)
    network: str = Field(
        default="none",
        description='"none" (loopback only) or the name of an existing internal Docker network',
    )
    runtime: str | None = Field(default=None, description='OCI runtime, e.g. "runsc" for gVisor')
    labels: dict[str, str] = Field(default_factory=dict)
    start_timeout_s: float = Field(default=60.0, gt=0)


class ExecRequest(BaseModel):
    """One command. A string runs under `/bin/sh -c`; a list is an argv."""

    model_config = ConfigDict(extra="forbid")

    cmd: str | list[str]
    timeout_s: float = Field(default=60.0, gt=0)
    env: dict[str, str] = Field(default_factory=dict)
    workdir: str | None = Field(default=None, description="relative to the sandbox workdir, or absolute")
    stdin: bytes | None = None

    def argv(self) -> list[str]:
        if isinstance(self.cmd, str):
            return ["/bin/sh", "-c", self.cmd]
        if not self.cmd:
            raise ValueError("ExecRequest.cmd is empty: pass a shell string or a non-empty argv list")
        return list(self.cmd)


class ExecResult(BaseModel):
    """What a command did. A timed-out command is a result (timed_out=True), not an exception."""

    model_config = ConfigDict(extra="forbid")

    exit_code: int
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    truncated_bytes: int = Field(default=0, description="output bytes dropped beyond Limits.output_bytes")
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class DockerBackendConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["docker"] = "docker"
    base_url: str | None = Field(
        default=None, description="engine URL; default: DOCKER_HOST or the local socket"
    )
    owner: str = Field(default="toolforge", description="label value that scopes `gc` to one engine or run")
    client_timeout_s: float = 600.0
    max_pool_size: int = 64
    deadline_grace_s: float = Field(
        default=10.0, gt=0, description="the client-side deadline of a command is its timeout plus this"
    )


class LocalBackendConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["local"] = "local"
    isolation: Literal["auto", "bwrap", "process"] = "auto"
    # Without bubblewrap, code would run as this user on the host file system: refused unless
    # this says so (the CLI's --unsafe-no-isolation).
    unsafe_no_isolation: bool = False
    ro_binds: list[str] = Field(
        default_factory=lambda: ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"],
        description="host paths visible read-only inside a bwrap sandbox",
    )


BackendConfig = Annotated[DockerBackendConfig | LocalBackendConfig, Field(discriminator="type")]
