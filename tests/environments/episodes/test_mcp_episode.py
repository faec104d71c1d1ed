"""A whole episode against a real example MCP server (examples/mcp_servers/shop.py) over stdio:
tools harvested from it, calls executed by it through a pooled session, its state file checked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mcp import Client, StdioServerParameters

from environments.episodes.config import MCPServerConfig, RolloutConfig
from environments.episodes.parallel import run_episodes
from examples.mcp_servers import shop
from toolforge.core.store import Store
from toolforge.core.types import Agent, Blueprint, ExpectedCall, Rubric, Task, ToolSpec, Trajectory, UserGoal
from toolforge.tools.convert import from_wire

REPO = Path(__file__).resolve().parents[3]


async def _harvest(args: list[str]) -> list[ToolSpec]:
    params = StdioServerParameters(command=sys.executable, args=args, cwd=str(REPO))
    async with Client(params, mode="legacy") as client:
        page = await client.list_tools()
    return [
        from_wire(t.model_dump(by_alias=True, exclude_none=True), source="mcp", origin="shop")
        for t in page.tools
    ]


async def test_episode_on_a_real_mcp_server(sqlite_store: Store, tmp_path: Path) -> None:
    state_file = tmp_path / "shop.json"
    args = ["-m", "examples.mcp_servers.shop", "--state", str(state_file)]
    tools = await _harvest(["-m", "examples.mcp_servers.shop"])
    names = {t.name for t in tools}
    assert {"get_product", "add_to_cart", "place_order", "get_order"} <= names
    agent = Agent(
        name="Shop desk",
        system_prompt="You help shop customers.",
        tool_ids=[t.id for t in tools],
        tool_names=sorted(names),
    )
    actions = [
        ExpectedCall(name="get_product", arguments={"product_id": "prd_nope"}),
        ExpectedCall(
            name="add_to_cart", arguments={"customer_id": "cus_ada", "product_id": "prd_mug", "quantity": 2}
        ),
        ExpectedCall(name="place_order", arguments={"customer_id": "cus_ada"}),
        ExpectedCall(name="get_order", arguments={"order_id": "ord_0001"}),
    ]
    task = Task(
        agent_id=agent.id,
        user_goal=UserGoal(
            description="Buy two mugs", opening_message="I'd like two stoneware mugs, I'm cus_ada."
        ),
        difficulty="recovery",
        rubric=Rubric(success_criteria=["an order of 2 prd_mug for cus_ada is placed"]),
        blueprint=Blueprint(
            actions=actions, expected_results=[{}, {}, {"id": "ord_0001"}, {}], final_reply="Ordered."
        ),
    )
    config = RolloutConfig(
        mcp_servers={"shop": MCPServerConfig(command="python", args=args, cwd=str(REPO))},
        mcp_call_timeout_s=20,
    )
    summary = await run_episodes(sqlite_store, [task], [agent], tools, config)
    assert summary.end_reasons == {"user_stop": 1}
    (traj,) = sqlite_store.list(Trajectory)
    assert set(traj.metadata["executors"].values()) == {"mcp"}
    results = [m for m in traj.messages if m.role == "tool"]
    assert results[0].is_error and "prd_nope" in results[0].content  # a tool error is an observation
    assert not any(r.is_error for r in results[1:])
    order = json.loads(results[3].content)
    assert order["id"] == "ord_0001" and order["status"] == "placed" and order["customer_id"] == "cus_ada"
    world = json.loads(state_file.read_text())  # the server's own state changed for real
    assert world["products"]["prd_mug"]["stock"] == 38
    assert world["orders"]["ord_0001"]["lines"][0]["quantity"] == 2


async def test_per_episode_servers_isolate_each_episode_world(sqlite_store: Store) -> None:
    tools = await _harvest(["-m", "examples.mcp_servers.shop"])
    agent = Agent(
        name="Shop",
        system_prompt="You help.",
        tool_ids=[t.id for t in tools],
        tool_names=[t.name for t in tools],
    )
    actions = [
        ExpectedCall(
            name="add_to_cart", arguments={"customer_id": "cus_alan", "product_id": "prd_lamp", "quantity": 1}
        ),
        ExpectedCall(name="place_order", arguments={"customer_id": "cus_alan"}),
    ]
    tasks = [
        Task(
            agent_id=agent.id,
            user_goal=UserGoal(description="Buy a lamp", opening_message="A desk lamp please, I'm cus_alan."),
            difficulty="multi_call",
            rubric=Rubric(success_criteria=["an order for prd_lamp exists"]),
            blueprint=Blueprint(actions=actions, final_reply="Ordered."),
            seed=seed,
        )
        for seed in range(2)
    ]
    server = MCPServerConfig(
        command="python",
        args=["-m", "examples.mcp_servers.shop", "--state", "{episode_dir}/shop.json"],
        cwd=str(REPO),
        per_episode=True,
        state_file="{episode_dir}/shop.json",
    )
    config = RolloutConfig(mcp_servers={"shop": server}, max_in_flight=2)
    summary = await run_episodes(sqlite_store, tasks, [agent], tools, config)
    assert summary.end_reasons == {"user_stop": 2}
    for traj in sqlite_store.list(Trajectory):
        world = traj.final_state["_mcp"]["shop"]
        # each episode started from the seed world: its past orders and exactly one new one
        assert sorted(world["orders"]) == ["ord_0001", *sorted(shop.SEED["orders"])]
        assert world["products"]["prd_lamp"]["stock"] == 4
