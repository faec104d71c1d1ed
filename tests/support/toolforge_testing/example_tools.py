"""The example MCP servers in tests: the tools of three (agenda, shop, workspace) harvested in
process, one server harvested over stdio, and a call that reads an error's text."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.types import TextContent

from examples.mcp_servers import agenda, shop, workspace
from toolforge.core.store import Store
from toolforge.core.types import ToolSource, ToolSpec
from toolforge.tools.convert import from_wire
from toolforge.tools.harvest import harvest
from toolforge.tools.library import load_tools
from toolforge.tools.servers import parse_servers

REPO = Path(__file__).resolve().parents[3]


async def example_server_tools(source: ToolSource) -> list[ToolSpec]:
    """Every tool the example servers list, in server order, stored as `source` (the tests that
    harvest call them `mcp`; the benches and schema checks that read them as a catalog, `catalog`)."""
    tools: list[ToolSpec] = []
    for name, module in (("agenda", agenda), ("shop", shop), ("workspace", workspace)):
        async with Client(module.build(None)) as client:
            page = await client.list_tools()
        tools += [
            from_wire(t.model_dump(by_alias=True, exclude_none=True), source=source, origin=name)
            for t in page.tools
        ]
    return tools


async def call_tool(client: Client, name: str, args: dict[str, Any]) -> tuple[bool, Any]:
    """(is_error, the structured result or the error's text) of one call to an example server."""
    result = await client.call_tool(name, args)
    if not result.is_error:
        return False, result.structured_content
    first = result.content[0]
    assert isinstance(first, TextContent)
    return True, first.text


async def harvest_example_server(name: str, tmp_path: Path) -> dict[str, ToolSpec]:
    """The tools of `examples.mcp_servers.<name>` harvested over stdio (a real subprocess, its
    state in `tmp_path`), by name; the harvest must list them all without a rejection."""
    servers = parse_servers(
        {
            "mcpServers": {
                name: {
                    "command": sys.executable,
                    "args": ["-m", f"examples.mcp_servers.{name}"],
                    "cwd": str(REPO),
                    "env": {f"{name.upper()}_STATE_FILE": str(tmp_path / f"{name}.json")},
                }
            }
        }
    )
    store = Store(str(tmp_path / f"{name}-tools.db"))
    try:
        reports = await harvest(store, servers, start_timeout_s=60, list_timeout_s=30)
        assert [(r.ok, r.error, r.rejected) for r in reports] == [(True, None, {})], reports
        return {t.name: t for t in load_tools(store)}
    finally:
        store.close()
