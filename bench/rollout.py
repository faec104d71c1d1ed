"""Episode throughput (issue 4), one table; the last line is `offline_tps=<x> llm_ratio=<y>`.

(a) offline: the blueprint policy, the template user and the schema simulator on the tools of the
    three example MCP servers (harvested in process, executed by the simulator), every trajectory
    committed to a fresh SQLite store. Trajectories per second and CPU milliseconds per episode
    (`time.process_time` around the in-process `run_episodes`), medians of `--repeats` runs;
    `--offline-only` runs this part alone and prints one line. With `--schema-check both` (the
    default) every repeat runs twice in turn, with and without fastjsonschema's compiled checks
    (`toolforge.core.schema.fast`), and the line shows both CPU times and their ratio.
(b) LLM: the LLM policy (native tools), the LLM user and the world-model simulator, all answered
    by the loopback server (a subprocess, scripted per role: two tool calls, a reply, a stop) at
    `--latency-ms` with `--in-flight` episodes at once. Achieved model calls/s as a ratio to the
    bound in_flight / latency (every episode always waiting on exactly one call). For context the
    table also shows the client's ceiling: calls/s with zero latency at the same concurrency.

    Every run of part (b) is a process of its own. With `--transport both` (the default) part (b)
    runs once per LLMConfig.transport, and the
    openai_compatible transport once per `--workers` value (default 1 and 2): the episodes in flight
    are shared by that many processes (`environments/episodes/parallel.py`), since one Python process
    saturates its core near 2,000 calls/s. `llm_ratio` on the last line is the openai_compatible
    transport's with the last `--workers` value; every other run's ratio is printed above it.

    The ratio's time is the runner's own wall time for the episodes (`RolloutSummary.wall_s`: from
    the first episode's start to the last trajectory's commit; building tools, starting the server
    and the client, and opening the store are outside it). 2048 episodes by default (8 per slot at
    256 in flight, ~5 s at the bound): at 512 (~1.2 s at the bound) the first calls' connection
    setup and the tail, where fewer than `--in-flight` episodes are left, weighed several percent.

Both parts run on the event loop toolforge's commands use (`toolforge.core.aio`: uvloop where
installed; `--loop asyncio` for the stock loop).

    .venv/bin/python bench/rollout.py [--tasks-per 16] [--attempts 4] [--offline-only] [--schema-check both]
                                      [--llm-episodes 2048]
                                      [--transport litellm|openai_compatible|both] [--workers 1 2]
                                      [--loop uvloop|asyncio]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# toolforge_testing (the loopback server and other fixtures benches share with tests) lives in tests/support.
sys.path.insert(0, str(REPO / "tests" / "support"))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from environments.episodes.config import Limits, OutcomeMix, RolloutConfig  # noqa: E402
from environments.episodes.parallel import run_episodes  # noqa: E402
from environments.tasking.agents import AgentGenConfig, generate_agents  # noqa: E402
from environments.tasking.tasks import TaskGenConfig, generate_tasks  # noqa: E402
from toolforge.core import aio  # noqa: E402
from toolforge.core.jsonschema_tools import instance_for  # noqa: E402
from toolforge.core.llm import LLMClient, LLMConfig, RolesConfig  # noqa: E402
from toolforge.core.schema.fast import fast_on_by_default, use_fast  # noqa: E402
from toolforge.core.store import Store  # noqa: E402
from toolforge.core.types import Agent, Rubric, Task, UserGoal  # noqa: E402
from toolforge_testing.example_tools import example_server_tools  # noqa: E402
from toolforge_testing.llm_server import Reply, Request, TestServer  # noqa: E402
from toolforge_testing.llm_server.server import run_forever  # noqa: E402


async def offline(
    tasks_per: int, attempts: int, repeats: int, checks: list[bool]
) -> dict[bool, tuple[float, float, int, dict[str, int]]]:
    """By schema check (True: fastjsonschema where it means what jsonschema means, False: jsonschema
    only): (trajectories/s, CPU ms per episode, trajectories per run, end reasons), medians of
    `repeats`; the checks take turns within each repeat, so both see the same machine.

    The CPU time is this process's (`time.process_time`) around `run_episodes` alone: it runs in
    process (one worker), so it holds every episode's policy, user, simulator, fitting,
    validation and store writes, and none of the setup."""
    tools = await example_server_tools("catalog")
    rates: dict[bool, list[float]] = {c: [] for c in checks}
    cpu_ms: dict[bool, list[float]] = {c: [] for c in checks}
    n, reasons = 0, {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            for check in checks if r % 2 == 0 else checks[::-1]:
                use_fast(check)
                store = Store(f"sqlite:///{tmp}/offline{r}-{check}.db")
                agents = await generate_agents(
                    store, tools, AgentGenConfig(count=16, min_tools=3, max_tools=8)
                )
                tasks = await generate_tasks(
                    store, agents, tools, TaskGenConfig(per_difficulty=tasks_per // 4 or 1)
                )
                cpu = time.process_time()
                summary = await run_episodes(
                    store, tasks, agents, tools, RolloutConfig(max_in_flight=64), attempts=attempts
                )
                cpu_ms[check].append((time.process_time() - cpu) * 1000 / max(summary.ran, 1))
                rates[check].append(summary.ran / summary.wall_s)
                n, reasons = summary.ran, summary.end_reasons
                store.close()
    use_fast(fast_on_by_default())
    return {c: (statistics.median(rates[c]), statistics.median(cpu_ms[c]), n, reasons) for c in checks}


# ---- the scripted loopback server (runs in its own process) ------------------------------------


def respond(req: Request) -> Reply | None:
    body = req.body
    rf = (body.get("response_format") or {}).get("json_schema") or {}
    if rf.get("name") == "SimulatedCall":
        return Reply.json({"result": {"status": "ok"}})
    if rf.get("name") == "UserReply":
        return Reply.json({"message": "Thanks, that's all.", "stop": True})
    if "tools" in body:
        messages = body["messages"]
        if sum(1 for m in messages if m["role"] == "tool") < 2:
            fn = body["tools"][len(messages) % len(body["tools"])]["function"]
            rng = random.Random(len(messages))
            return Reply.calls((fn["name"], instance_for(fn["parameters"], rng, optional_p=0.0)))
        return Reply.text("All done.")
    return None


def serve(latency_ms: float) -> None:
    server = TestServer(latency_ms=latency_ms, responder=respond, record=False)
    run_forever(server, lambda s: print(f"listening on {s.url}", flush=True))


def start_server(latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(latency_ms)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"the loopback server did not start: {line!r}")
    return proc, line.split()[-1]


async def ceiling(url: str, concurrency: int, n: int, transport: str) -> float:
    cfg = LLMConfig(
        model="openai/bench", api_base=url, max_retries=0, concurrency=concurrency, transport=transport
    )
    async with LLMClient(None) as llm:
        await llm.complete(cfg, [{"role": "user", "content": "warm up"}], role="agent")
        start = time.perf_counter()
        await asyncio.gather(
            *(llm.complete(cfg, [{"role": "user", "content": f"n{i}"}], role="agent") for i in range(n))
        )
        return n / (time.perf_counter() - start)


async def llm_run(
    latency_ms: float, in_flight: int, episodes: int, transport: str, workers: int = 1
) -> dict[str, Any]:
    tools = [t for t in await example_server_tools("catalog") if t.origin == "shop"][:6]
    proc, url = start_server(latency_ms)
    zero, zero_url = start_server(0.0)
    try:
        cfg = LLMConfig(
            model="openai/bench",
            api_base=url,
            max_retries=2,
            concurrency=in_flight,
            timeout_s=120,
            transport=transport,
        )
        roles = RolesConfig(agent=cfg, user=cfg, tool_simulator=cfg)
        agent = Agent(
            name="bench",
            system_prompt="You help.",
            tool_ids=[t.id for t in tools],
            tool_names=[t.name for t in tools],
        )
        tasks = [
            Task(
                agent_id=agent.id,
                user_goal=UserGoal(description=f"goal {i}", opening_message=f"Please help with request {i}."),
                difficulty="multi_call",
                rubric=Rubric(success_criteria=["done"]),
                seed=i,
                source="template",
            )
            for i in range(episodes)
        ]
        config = RolloutConfig(
            policy="llm",
            user="llm",
            simulator="world_model",
            outcomes=OutcomeMix(ok=1.0, partial=0.0, error=0.0, edge=0.0),
            limits=Limits(max_wall_s=600),
            max_in_flight=in_flight,
        )
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"sqlite:///{tmp}/llm.db")
            summary = await run_episodes(
                store, tasks, [agent], tools, config, roles=roles, run_id="bench", workers=workers
            )
            store.close()
        calls_per_s = summary.usage.calls / summary.wall_s
        top = await ceiling(zero_url, in_flight, 1024, transport)
    finally:
        proc.kill()
        zero.kill()
    bound = in_flight / (latency_ms / 1000)
    return {
        "episodes": summary.ran,
        "end_reasons": summary.end_reasons,
        "calls": summary.usage.calls,
        "wall_s": summary.wall_s,
        "calls_per_s": calls_per_s,
        "bound": bound,
        "ratio": calls_per_s / bound,
        "ceiling": top,
        "loop": aio.loop_name(asyncio.get_running_loop()),
    }


def part_b_alone(args: argparse.Namespace, transport: str, workers: int) -> dict[str, Any]:
    """One run of part (b) in a process of its own: litellm leaves a logging worker behind that it
    revives on every later event loop, which took CPU from whatever the same process ran next."""
    argv = [sys.executable, __file__, "--part-b", transport, str(workers), "--latency-ms", str(args.latency_ms),
            "--in-flight", str(args.in_flight), "--llm-episodes", str(args.llm_episodes), "--loop", args.loop]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=REPO).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--tasks-per", type=int, default=16, help="tasks per agent (16 agents)")
    parser.add_argument("--attempts", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--in-flight", type=int, default=256)
    parser.add_argument("--llm-episodes", type=int, default=2048)
    parser.add_argument(
        "--transport", choices=["litellm", "openai_compatible", "both"], default="both",
        help="the LLM client's transport in part (b); both: one run each",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2],
        help="worker processes sharing the in-flight episodes in part (b), one run each (litellm: the first only)",
    )  # fmt: skip
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop",
        help="the event loop of both parts (uvloop: what toolforge's commands run on)",
    )  # fmt: skip
    parser.add_argument("--offline-only", action="store_true", help="part (a) only, one summary line")
    parser.add_argument(
        "--schema-check", choices=["fast", "jsonschema", "both"], default="both",
        help="part (a)'s yes/no schema checks: fastjsonschema where it agrees, jsonschema only, or both in turn",
    )  # fmt: skip
    parser.add_argument("--part-b", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    if args.part_b is not None:
        transport, workers = args.part_b
        result = aio.run(
            llm_run(args.latency_ms, args.in_flight, args.llm_episodes, transport, int(workers)), args.loop
        )
        print(json.dumps(result))
        return
    checks = {"fast": [True], "jsonschema": [False], "both": [True, False]}[args.schema_check]
    by_check = aio.run(offline(args.tasks_per, args.attempts, args.repeats, checks), args.loop)
    tps, cpu_ms, n, reasons = by_check[checks[0]]
    cpu_line = f"offline_cpu_ms_per_episode={cpu_ms:.3f}"
    if len(checks) == 2:
        slow = by_check[False][1]
        cpu_line += f" offline_cpu_ms_per_episode_jsonschema={slow:.3f} fast_check_gain={slow / cpu_ms:.2f}x"
    if args.offline_only:
        print(f"offline_tps={tps:.1f} {cpu_line} episodes={n}")
        return
    transports = ["litellm", "openai_compatible"] if args.transport == "both" else [args.transport]
    runs = {
        (t, w): part_b_alone(args, t, w)
        for t in transports
        for w in (args.workers if t == "openai_compatible" else args.workers[:1])
    }
    loop = next(iter(runs.values()))["loop"]
    table = Table(title=f"bench/rollout.py ({loop} loop)")
    for column in ("measure", "value"):
        table.add_column(column)
    table.add_row("(a) offline trajectories per run", str(n))
    table.add_row("(a) offline end reasons", json.dumps(reasons))
    table.add_row(f"(a) offline trajectories/s (median of {args.repeats})", f"{tps:.1f}")
    for check in checks:
        name = "fast check" if check else "jsonschema only"
        table.add_row(
            f"(a) offline CPU ms per episode, {name} (median of {args.repeats})", f"{by_check[check][1]:.3f}"
        )
    for (transport, workers), llm in runs.items():
        b = f"(b) {transport}, {workers} process{'es' if workers > 1 else ''}:"
        table.add_row(
            f"{b} LLM episodes / end reasons", f"{llm['episodes']} {json.dumps(llm['end_reasons'])}"
        )
        table.add_row(f"{b} LLM calls / wall s", f"{llm['calls']} / {llm['wall_s']:.1f}")
        table.add_row(f"{b} LLM calls/s achieved", f"{llm['calls_per_s']:.1f}")
        table.add_row(f"{b} bound {args.in_flight} in flight / {args.latency_ms:g} ms", f"{llm['bound']:.0f}")
        table.add_row(f"{b} ratio to bound", f"{llm['ratio']:.3f}")
        table.add_row(f"{b} client ceiling, calls/s at 0 ms (same concurrency)", f"{llm['ceiling']:.1f}")
        table.add_row(f"{b} achieved / client ceiling", f"{llm['calls_per_s'] / llm['ceiling']:.2f}")
    Console(width=140).print(table)
    for (transport, workers), llm in runs.items():
        print(f"llm_ratio[{transport},workers={workers}]={llm['ratio']:.3f}")
    last = runs.get(("openai_compatible", args.workers[-1])) or list(runs.values())[-1]
    print(f"offline_tps={tps:.1f} {cpu_line} llm_ratio={last['ratio']:.3f}")


if __name__ == "__main__":
    main()
