"""Real containers for the sandbox tests. The image is built once, before the tests
(`toolforge sandbox build-image`); a missing image or engine fails loudly, never skips."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_helpers import IMAGE, TIGHT

from sandbox.base import Sandbox
from sandbox.docker_backend import DockerBackend
from sandbox.models import SandboxSpec


@pytest.fixture
def spec() -> SandboxSpec:
    return SandboxSpec(image=IMAGE, limits=TIGHT)


@pytest.fixture
def box(docker_backend: DockerBackend, spec: SandboxSpec) -> Iterator[Sandbox]:
    sandbox = docker_backend.start(spec)
    yield sandbox
    sandbox.close()
