"""Helpers for the world tests: the shop world's config from the example servers file, its tools
read from the server in process, one blueprint episode, and a probe server written to a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from mcp import Client

from environments.episodes.config import MCPServerConfig
from environments.episodes.worlds import world_servers
from examples.mcp_servers import shop
from toolforge.core.types import Agent, Blueprint, ExpectedCall, Rubric, Task, ToolSpec, UserGoal
from toolforge.tools.convert import from_wire
from toolforge.tools.servers import load_servers

REPO = Path(__file__).resolve().parents[3]
SERVERS = REPO / "examples" / "mcp_servers" / "servers.json"

# Reports what its sandbox lets it do: reach a host port, write a host file, write its own folder.
PROBE = '''
import json, os, socket
from pathlib import Path
from mcp.server import MCPServer

STATE = Path(os.environ["PROBE_STATE_FILE"])
STATE.write_text(json.dumps({"started": True}))
server = MCPServer("probe")


def attempt(action) -> str:
    try:
        action()
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok"


@server.tool()
def probe(host: str, port: int, outside: str, tmp_name: str) -> dict:
    """Try to reach host:port, and to write the file `outside` and /tmp/`tmp_name`."""
    report = {
        "connect": attempt(lambda: socket.create_connection((host, port), timeout=3).close()),
        "write_outside": attempt(lambda: Path(outside).write_text("escaped")),
        "write_tmp": attempt(lambda: (Path("/tmp") / tmp_name).write_text("escaped")),
        "write_inside": attempt(lambda: (STATE.parent / "inside.txt").write_text("ok")),
        "uid": os.getuid(),
    }
    STATE.write_text(json.dumps(report))
    return report


server.run("stdio")
'''


def shop_world(**update: Any) -> MCPServerConfig:
    return world_servers(load_servers(SERVERS))["shop"].model_copy(update=update)


async def shop_tools() -> list[ToolSpec]:
    async with Client(shop.build(None)) as client:  # in process: the same tools, no subprocess
        page = await client.list_tools()
    return [
        from_wire(t.model_dump(by_alias=True, exclude_none=True), source="mcp", origin="shop")
        for t in page.tools
    ]


def tool(name: str, origin: str = "shop") -> ToolSpec:
    return ToolSpec(name=name, input_schema={"type": "object"}, source="mcp", origin=origin)


def order_episode(tools: list[ToolSpec], customer: str, product: str, **task: Any) -> tuple[Agent, Task]:
    agent = Agent(
        name="Shop desk",
        system_prompt="You help shop customers.",
        tool_ids=[t.id for t in tools],
        tool_names=sorted(t.name for t in tools),
    )
    actions = [
        ExpectedCall(
            name="add_to_cart", arguments={"customer_id": customer, "product_id": product, "quantity": 2}
        ),
        ExpectedCall(name="place_order", arguments={"customer_id": customer}),
        ExpectedCall(name="get_order", arguments={"order_id": "ord_0001"}),
    ]
    return agent, Task(
        agent_id=agent.id,
        user_goal=UserGoal(
            description="Buy two", opening_message=f"Two of {product} please, I'm {customer}."
        ),
        difficulty="multi_call",
        rubric=Rubric(success_criteria=[f"an order of 2 {product} for {customer} is placed"]),
        blueprint=Blueprint(actions=actions, final_reply="Ordered."),
        **task,
    )


def readable_dir(mode: int = 0o755) -> Path:
    """A fresh folder under the system temp dir that uid 65534 can traverse (pytest's tmp_path is
    private to its user, so a docker sandbox could not read a server there)."""
    path = Path(tempfile.mkdtemp(prefix="tf-world-test-"))
    os.chmod(path, mode)
    return path


def probe_world(folder: Path, **update: Any) -> MCPServerConfig:
    (folder / "probe.py").write_text(PROBE)
    os.chmod(folder / "probe.py", 0o644)
    config = MCPServerConfig(
        command="python",
        args=["probe.py"],
        cwd=str(folder),
        env={"PROBE_STATE_FILE": "{episode_dir}/probe.json"},
        per_episode=True,
        state_file="{episode_dir}/probe.json",
        warm=0,
    )
    return config.model_copy(update=update)
