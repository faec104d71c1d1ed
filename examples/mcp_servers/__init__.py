"""Example MCP servers of our own: stateful domains for the offline demo, the tests and episodes.

Each module has `build(state_path) -> MCPServer` and runs over stdio with
`python -m examples.mcp_servers.<name>`. See README.md beside this file.
"""

SERVERS = ("agenda", "shop", "workspace")
