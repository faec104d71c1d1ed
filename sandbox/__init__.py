"""Where code runs: isolated sandboxes (docker, local; kubernetes designed in docs/), a warm pool,
images, and code tasks graded by their tests. Imports nothing else of toolforge: usable alone.

    from sandbox import DockerBackend, SandboxSpec
    with DockerBackend().start(SandboxSpec()) as box:
        print(box.exec("python3 -c 'print(6*7)'").stdout)
"""

from typing import TYPE_CHECKING

from sandbox.base import Backend, Sandbox
from sandbox.code_tasks import CodeTask, load_task, load_tasks
from sandbox.errors import (
    CodeTaskError,
    EngineUnavailableError,
    ImageMissingError,
    IsolationUnavailableError,
    PoolExhaustedError,
    SandboxBrokenError,
    SandboxError,
)
from sandbox.factory import make_backend
from sandbox.grading import CaseResult, GradeReport, apply_patch, grade, prepare, workspace_diff
from sandbox.models import (
    DEFAULT_IMAGE,
    BackendConfig,
    DockerBackendConfig,
    ExecRequest,
    ExecResult,
    Limits,
    LocalBackendConfig,
    SandboxSpec,
)
from sandbox.pool import SandboxPool

if TYPE_CHECKING:  # at run time `__getattr__` imports them on first use
    from sandbox.docker_backend import DockerBackend
    from sandbox.local_backend import LocalBackend


def __getattr__(name: str) -> object:
    # the backends import their SDKs lazily, so `import sandbox` works without docker installed
    if name == "DockerBackend":
        from sandbox.docker_backend import DockerBackend

        return DockerBackend
    if name == "LocalBackend":
        from sandbox.local_backend import LocalBackend

        return LocalBackend
    raise AttributeError(name)


__all__ = [
    "DEFAULT_IMAGE",
    "Backend",
    "BackendConfig",
    "CaseResult",
    "CodeTask",
    "CodeTaskError",
    "DockerBackend",
    "DockerBackendConfig",
    "EngineUnavailableError",
    "ExecRequest",
    "ExecResult",
    "GradeReport",
    "ImageMissingError",
    "IsolationUnavailableError",
    "Limits",
    "LocalBackend",
    "LocalBackendConfig",
    "PoolExhaustedError",
    "Sandbox",
    "SandboxBrokenError",
    "SandboxError",
    "SandboxPool",
    "SandboxSpec",
    "apply_patch",
    "grade",
    "load_task",
    "load_tasks",
    "make_backend",
    "prepare",
    "workspace_diff",
]
