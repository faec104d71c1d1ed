"""The loopback server, started once per module in a background thread; each test gets it reset.
Every test that takes `cfg` (or `transport`) runs over both transports: litellm and the direct
openai_compatible one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from toolforge.core.llm import LLMConfig
from toolforge_testing.llm_server import TestServer


@pytest.fixture(scope="module")
def server_module() -> Iterator[TestServer]:
    with TestServer() as server:
        yield server


@pytest.fixture
def server(server_module: TestServer) -> Iterator[TestServer]:
    server_module.reset()
    server_module.responder = None
    server_module.latency_s = 0.0
    yield server_module
    server_module.reset()


@pytest.fixture(params=["litellm", "openai_compatible"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def cfg(server: TestServer, transport: str) -> LLMConfig:
    return LLMConfig(
        model="openai/test-model", api_base=server.url, timeout_s=5.0, max_retries=4, transport=transport
    )
