"""Fixtures for the tool library: the example servers' tools, harvested in-process once per session."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `examples` lives at the repo root and is not an installed package
    sys.path.insert(0, str(REPO))

from toolforge.core.types import ToolSpec  # noqa: E402
from toolforge_testing.example_tools import example_server_tools  # noqa: E402


@pytest.fixture(scope="session")
def example_tools() -> list[ToolSpec]:
    return asyncio.run(example_server_tools("mcp"))
