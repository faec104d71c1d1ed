"""The loopback server, started once per module in a background thread; each test gets it reset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from toolforge.core.llm import LLMConfig
from toolforge.core.llm.testserver import TestServer


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


@pytest.fixture
def cfg(server: TestServer) -> LLMConfig:
    return LLMConfig(model="openai/test-model", api_base=server.url, timeout_s=5.0, max_retries=4)
