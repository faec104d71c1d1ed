"""Pick a backend by its config's `type` (the one place a user chooses an implementation by name)."""

from __future__ import annotations

from sandbox.base import Backend
from sandbox.models import DockerBackendConfig, LocalBackendConfig


def make_backend(config: DockerBackendConfig | LocalBackendConfig) -> Backend:
    if isinstance(config, DockerBackendConfig):
        from sandbox.docker_backend import DockerBackend

        return DockerBackend(config)
    from sandbox.local_backend import LocalBackend

    return LocalBackend(config)
