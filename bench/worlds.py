"""Per-episode MCP worlds: episodes/s of one fixed blueprint episode on the example shop server,
cold (each episode starts its own server) vs warm (`warm` worlds started ahead), in each sandbox
kind this machine has (none, local = bubblewrap or an rlimited process, docker); medians of 3.

    .venv/bin/python bench/worlds.py [--episodes 16] [--in-flight 1] [--repeats 3] [--warm 2,4]
                                     [--kinds none,local,docker]

Each run is the real episode path: `run_episodes` with the blueprint policy and the template user,
every call executed by a world of its own (add to cart, place the order, read it back), the end
state read back from the world's state file and every trajectory committed to a fresh SQLite
store. A run's time is the whole `run_episodes` call: the runtime's opening (sandbox checks), the
episodes, and the closing of the pool (warm worlds nobody took included). Runs of the configs are
interleaved, so load on a shared machine falls on all of them alike. The last line is
`warm_speedup <kind>=<warm/cold> ... sandbox_cost <kind>=<cold kind/cold none> ...` (warm: the
last `--warm` size).
"""

# ruff: noqa: E402  (the imports follow the sys.path fix below)
from __future__ import annotations

import sys
from pathlib import Path

# bench/sandbox.py would shadow the `sandbox` package: keep this folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import statistics
import tempfile
import time
from typing import Any

from mcp import Client, StdioServerParameters
from rich.console import Console
from rich.table import Table

from environments.episodes.config import MCPServerConfig, RolloutConfig
from environments.episodes.executors.mcp_pool import MCPPool
from environments.episodes.parallel import run_episodes
from environments.episodes.worlds import world_servers
from toolforge.core.aio import run
from toolforge.core.store import Store
from toolforge.core.types import Agent, Blueprint, ExpectedCall, Rubric, Task, ToolSpec, UserGoal
from toolforge.tools.convert import from_wire
from toolforge.tools.servers import load_servers

REPO = Path(__file__).resolve().parents[1]
SERVERS = REPO / "examples" / "mcp_servers" / "servers.json"
ACTIONS = [
    ExpectedCall(
        name="add_to_cart", arguments={"customer_id": "cus_ada", "product_id": "prd_mug", "quantity": 2}
    ),
    ExpectedCall(name="place_order", arguments={"customer_id": "cus_ada"}),
    ExpectedCall(name="get_order", arguments={"order_id": "ord_0001"}),
]


async def shop_tools(config: MCPServerConfig) -> list[ToolSpec]:
    params = StdioServerParameters(command=config.command, args=config.args, cwd=config.cwd)
    async with Client(params, mode="legacy") as client:
        page = await client.list_tools()
    return [
        from_wire(t.model_dump(by_alias=True, exclude_none=True), source="mcp", origin="shop")
        for t in page.tools
    ]


def episodes(tools: list[ToolSpec], seed_world: dict[str, Any], n: int) -> tuple[Agent, list[Task]]:
    agent = Agent(
        name="Shop desk",
        system_prompt="You help shop customers.",
        tool_ids=[t.id for t in tools],
        tool_names=sorted(t.name for t in tools),
    )
    tasks = [
        Task(
            agent_id=agent.id,
            user_goal=UserGoal(description="Buy two mugs", opening_message="Two mugs please, I'm cus_ada."),
            difficulty="multi_call",
            rubric=Rubric(success_criteria=["an order of 2 prd_mug for cus_ada is placed"]),
            initial_state={"_mcp": {"shop": seed_world}},  # as generated tasks carry it
            blueprint=Blueprint(actions=ACTIONS, final_reply="Ordered."),
            seed=k,
        )
        for k in range(n)
    ]
    return agent, tasks


async def one_run(
    config: MCPServerConfig, agent: Agent, tasks: list[Task], tools: list[ToolSpec], in_flight: int
) -> float:
    with tempfile.TemporaryDirectory(prefix="tf-bench-worlds-") as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        rollout = RolloutConfig(mcp_servers={"shop": config}, max_in_flight=in_flight)
        t0 = time.perf_counter()
        summary = await run_episodes(store, tasks, [agent], tools, rollout)
        wall = time.perf_counter() - t0
        store.close()
    if summary.end_reasons != {"user_stop": len(tasks)}:
        raise SystemExit(f"{config.sandbox}: episodes did not all finish: {summary.end_reasons}")
    return wall


async def main(args: argparse.Namespace) -> None:
    base = world_servers(load_servers(SERVERS))["shop"]
    tools = await shop_tools(base)
    async with MCPPool({"shop": base.model_copy(update={"sandbox": "none", "warm": 0})}) as pool:
        seed_world = await pool.fresh_world("shop")
    agent, tasks = episodes(tools, seed_world, args.episodes)

    configs: list[tuple[str, str, MCPServerConfig]] = []  # (kind shown, worlds, config)
    for asked in args.kinds.split(","):
        config = base.model_copy(update={"sandbox": asked})
        try:
            async with MCPPool({"shop": config}) as pool:
                kind = pool.sandbox("shop").kind
        except ValueError as exc:  # ConfigError: this kind cannot run here
            print(f"skipping {asked}: {exc}")
            continue
        shown = asked if asked == kind else f"{asked} ({kind})"
        configs.append((shown, "cold", config.model_copy(update={"warm": 0})))
        for size in args.warm:
            configs.append((shown, f"warm {size}", config.model_copy(update={"warm": size})))

    walls: dict[int, list[float]] = {i: [] for i in range(len(configs))}
    for _ in range(args.repeats):
        for i, (_, _, config) in enumerate(configs):
            walls[i].append(await one_run(config, agent, tasks, tools, args.in_flight))

    table = Table(
        title=f"{args.episodes} shop episodes per run, {args.in_flight} in flight, median of {args.repeats}"
    )
    for column in ("sandbox", "worlds", "wall s", "episodes/s", "runs (episodes/s)", "vs cold"):
        table.add_column(column, justify="left" if column in ("sandbox", "worlds") else "right")
    rate: dict[tuple[str, str], float] = {}
    for i, (shown, worlds, _) in enumerate(configs):
        rates = [args.episodes / w for w in walls[i]]
        rate[shown, worlds] = statistics.median(rates)
        cold = rate.get((shown, "cold"), rate[shown, worlds])
        table.add_row(
            shown,
            worlds,
            f"{statistics.median(walls[i]):.2f}",
            f"{rate[shown, worlds]:.2f}",
            " ".join(f"{r:.2f}" for r in rates),
            f"{rate[shown, worlds] / cold:.2f}x",
        )
    Console().print(table)
    kinds = list(dict.fromkeys(shown for shown, _, _ in configs))
    best = args.warm[-1]
    warm = " ".join(f"{k.split()[0]}={rate[k, f'warm {best}'] / rate[k, 'cold']:.2f}" for k in kinds)
    none = next((k for k in kinds if k == "none"), None)
    cost = (
        " ".join(f"{k.split()[0]}={rate[k, 'cold'] / rate[none, 'cold']:.2f}" for k in kinds if k != none)
        if none
        else "n/a"
    )
    print(f"warm_speedup {warm} sandbox_cost {cost}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--episodes", type=int, default=16)
    parser.add_argument("--in-flight", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--warm", type=lambda s: [int(x) for x in s.split(",")], default=[4], help="warm pool sizes, e.g. 2,4"
    )
    parser.add_argument("--kinds", default="none,local,docker")
    run(main(parser.parse_args()))
