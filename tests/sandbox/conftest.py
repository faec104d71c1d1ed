"""Real containers for the sandbox tests. The image is built once, before the tests
(`toolforge sandbox build-image`); a missing image or engine fails loudly, never skips."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sandbox_helpers import IMAGE, TIGHT

from sandbox.base import Sandbox
from sandbox.docker_backend import DockerBackend
from sandbox.errors import EngineUnavailableError
from sandbox.images import image_present
from sandbox.models import DockerBackendConfig, SandboxSpec


@pytest.fixture(scope="session")
def docker_backend() -> Iterator[DockerBackend]:
    owner = f"tf-test-{uuid.uuid4().hex[:8]}"
    try:
        backend = DockerBackend(DockerBackendConfig(owner=owner))
    except EngineUnavailableError as exc:
        pytest.fail(f"the docker tests need a running Docker engine: {exc}")
    if not image_present(backend.client, IMAGE):
        pytest.fail(
            f"sandbox image {IMAGE!r} is missing: build it once before the tests with "
            f"`toolforge sandbox build-image` (needs root + debootstrap, or a registry with --method dockerfile)"
        )
    yield backend
    leftovers = backend.gc(owner=owner)
    backend.close()
    assert not leftovers, f"the tests left labelled containers behind: {leftovers}"


@pytest.fixture
def spec() -> SandboxSpec:
    return SandboxSpec(image=IMAGE, limits=TIGHT)


@pytest.fixture
def box(docker_backend: DockerBackend, spec: SandboxSpec) -> Iterator[Sandbox]:
    sandbox = docker_backend.start(spec)
    yield sandbox
    sandbox.close()
