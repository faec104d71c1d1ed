"""Fixtures for the tool library: the example servers' tools, harvested in-process once per session."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `examples` lives at the repo root and is not an installed package
    sys.path.insert(0, str(REPO))

from mcp import Client  # noqa: E402

from examples.mcp_servers import agenda, shop, workspace  # noqa: E402
from toolforge.core.types import ToolSpec  # noqa: E402
from toolforge.tools.convert import from_wire  # noqa: E402


async def _example_tools() -> list[ToolSpec]:
    specs: list[ToolSpec] = []
    for name, module in (("agenda", agenda), ("shop", shop), ("workspace", workspace)):
        async with Client(module.build(None)) as client:
            page = await client.list_tools()
            specs += [
                from_wire(t.model_dump(by_alias=True, exclude_none=True), source="mcp", origin=name)
                for t in page.tools
            ]
    return specs


@pytest.fixture(scope="session")
def example_tools() -> list[ToolSpec]:
    return asyncio.run(_example_tools())
