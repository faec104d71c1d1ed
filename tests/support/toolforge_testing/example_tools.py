"""The tools of the three example MCP servers (agenda, shop, workspace), harvested in process."""

from __future__ import annotations

from mcp import Client

from examples.mcp_servers import agenda, shop, workspace
from toolforge.core.types import ToolSource, ToolSpec
from toolforge.tools.convert import from_wire


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
