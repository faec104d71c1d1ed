"""One offline pipeline on one process and on a local Ray cluster (issue 19); the last line is
`one_s=… ray_s=… speedup=… duplicates=… missing=…`.

The pipeline: the example shop toolkit, `--agents` agents × 3 difficulties × 2 tasks, blueprint
episodes, the rules and state judges, up to 3 attempts per task, export. Both runs write a fresh
PostgreSQL database (TOOLFORGE_TEST_POSTGRES_URL, or `bash scripts/start_postgres.sh`'s).

- one_s: `run_pipeline` in this process.
- ray_s: the same config with `--ray` on a cluster of a head and `--workers` worker nodes started
  with `ray start` on this machine (one CPU each); the cluster's start is outside it, the nodes'
  opening of their runtime (a Python process each, importing toolforge) inside it, and shown on
  its own line: it is paid once per node and run, whatever the run's size.
- duplicates: exported rows whose id repeats; missing: rows of the one-process dataset absent
  from the cluster's (and rows that differ count as missing too).
- ray_call_ms: Ray's own cost per unit handed out, from 200 calls to an idle actor.

On this 2-core machine the cluster cannot be faster than the cores allow (3 nodes, 2 cores, and
other processes): what is measured is its overhead and that nothing is lost or repeated.

    .venv/bin/python bench/scale_out.py [--agents 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# toolforge_testing (the loopback server and other fixtures benches share with tests) lives in tests/support.
sys.path.insert(0, str(REPO / "tests" / "support"))

from toolforge.pipeline import PipelineResult, parse_config, run_pipeline  # noqa: E402
from toolforge.pipeline.cluster.connect import connect  # noqa: E402
from toolforge_testing.ray_cluster import LocalCluster  # noqa: E402

SHOP = f"{REPO / 'examples' / 'domains' / 'shop' / 'toolkit.py'}:ShopToolkit"


def config(workspace: Path, agents: int) -> dict[str, object]:
    return {
        "name": "scale-out",
        "workspace": str(workspace),
        "tools": {"toolkits": [SHOP]},
        "agents": {"count": agents, "min_tools": 3, "max_tools": 5},
        "tasks": {"difficulties": ["single_call", "multi_call", "recovery"], "per_difficulty": 2},
        "rollouts": {"policy": "blueprint", "user": "template", "simulator": "schema"},
        "sampling": {"attempts": 3, "stop_after_accepted": 1},
        "judges": {"rubric": {"enabled": False}, "rules": {"token_budget": {"multi_call": 40}}},
        "export": {"formats": ["openai"]},
    }


def postgres_server() -> str:
    url = os.environ.get("TOOLFORGE_TEST_POSTGRES_URL")
    if url:
        return url
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "start_postgres.sh")], capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1]


class Database:
    def __init__(self, server: str) -> None:
        self.admin = server.rsplit("/", 1)[0] + "/postgres"
        self.name = f"tf_bench_{uuid.uuid4().hex[:10]}"
        self.url = server.rsplit("/", 1)[0] + f"/{self.name}"

    def __enter__(self) -> str:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *exc: object) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def ids_and_rows(path: Path) -> tuple[list[str], dict[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["id"] for line in lines], {json.loads(line)["id"]: line for line in lines}


class Idle:
    def ping(self) -> int:
        return 1


def ray_call_ms(ray: object) -> float:
    actor = ray.remote(num_cpus=0)(Idle).remote()  # type: ignore[attr-defined]
    ray.get(actor.ping.remote())  # type: ignore[attr-defined]
    started = time.perf_counter()
    for _ in range(200):
        ray.get(actor.ping.remote())  # type: ignore[attr-defined]
    cost = (time.perf_counter() - started) / 200 * 1000
    ray.kill(actor)  # type: ignore[attr-defined]
    return cost


@dataclass
class Measured:
    one_s: float
    ray_s: float
    open_s: float  # the cluster's nodes opening, inside ray_s
    episodes: int
    units: int
    duplicates: int
    missing: int
    result: PipelineResult


async def once(server: str, work: Path, agents: int, address: str, i: int) -> Measured:
    with Database(server) as url:
        started = time.perf_counter()
        one = await run_pipeline(parse_config(config(work / f"one{i}", agents)), db=url)
        one_s = time.perf_counter() - started
    with Database(server) as url:
        started = time.perf_counter()
        many = await run_pipeline(parse_config(config(work / f"ray{i}", agents)), db=url, ray=address)
        ray_s = time.perf_counter() - started
    one_ids, one_rows = ids_and_rows(one.export.files["openai"])
    ray_ids, ray_rows = ids_and_rows(many.export.files["openai"])
    return Measured(
        one_s=one_s,
        ray_s=ray_s,
        open_s=many.nodes.open_s,
        episodes={r.name: r for r in many.reports}["rollouts"].total,
        units=sum(int(row["units"]) for row in many.nodes.by_node.values()),
        duplicates=len(ray_ids) - len(set(ray_ids)),
        missing=sum(1 for i, row in one_rows.items() if ray_rows.get(i) != row),
        result=many,
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each path; medians are shown")
    args = parser.parse_args()
    server = postgres_server()
    work = Path(tempfile.mkdtemp(prefix="tf-scale-out-"))

    # the head only schedules (as in compose): the work runs on --workers nodes of one CPU each
    with LocalCluster(workers=args.workers, pythonpath=str(REPO), head_cpus=0) as cluster:
        ray = connect(cluster.address)
        call_ms = ray_call_ms(ray)
        runs = [await once(server, work, args.agents, cluster.address, i) for i in range(args.repeat)]
        ray.shutdown()

    last = runs[-1].result.nodes
    episodes = runs[-1].episodes
    one_s, ray_s = median([r.one_s for r in runs]), median([r.ray_s for r in runs])
    open_s = median([r.open_s for r in runs])
    after_s = median([r.ray_s - r.open_s for r in runs])
    cores = os.cpu_count() or 1
    workers = len(last.by_node)
    print(f"{'':<30}{'one process':>14}{'ray cluster':>14}")
    print(f"{'nodes (cores used)':<30}{'1 (1)':>14}{f'{workers} ({min(cores, workers + 1)})':>14}")
    print(f"{'episodes':<30}{episodes:>14}{episodes:>14}")
    print(f"{'wall s (median)':<30}{one_s:>14.2f}{ray_s:>14.2f}")
    print(f"{'  nodes opening s':<30}{'-':>14}{open_s:>14.2f}")
    started_s, opened_s = getattr(last, "started_s", {}), getattr(last, "opened_s", {})  # older code: none
    for node in sorted(started_s):
        print(f"{'    ' + node[-12:] + ' actor/runtime s':<30}{'':>14}"
              f"{f'{started_s[node]:.2f} / {opened_s[node]:.2f}':>14}")  # fmt: skip
    print(f"{'  after opening s':<30}{one_s:>14.2f}{after_s:>14.2f}")
    one_rate = episodes / one_s
    ray_rate, ray_after = (
        episodes / ray_s / min(cores, workers + 1),
        episodes / after_s / min(cores, workers + 1),
    )
    print(f"{'episodes/s per core':<30}{one_rate:>14.1f}{ray_rate:>14.1f}")
    print(f"{'  after opening':<30}{one_rate:>14.1f}{ray_after:>14.1f}")
    print(f"{'units (Ray calls)':<30}{'-':>14}{runs[-1].units:>14}")
    print(
        f"ray: {call_ms:.2f} ms per task (idle actor call), {runs[-1].units * call_ms:.0f} ms for the run's units"
    )
    for node, row in sorted(last.by_node.items()):
        print(f"  {node:<28} units {int(row['units']):>3}  episodes {int(row['episodes']):>4}  "
              f"busy {row['play_s'] + row['judge_s']:.2f} s")  # fmt: skip
    print(f"ray_task_ms={call_ms:.2f} one_eps_per_core={one_rate:.1f} ray_eps_per_core={ray_rate:.1f} "
          f"ray_eps_per_core_after_open={ray_after:.1f}")  # fmt: skip
    duplicates, missing = sum(r.duplicates for r in runs), sum(r.missing for r in runs)
    print(
        f"one_s={one_s:.2f} ray_s={ray_s:.2f} speedup={one_s / ray_s:.2f} duplicates={duplicates} missing={missing}"
    )


if __name__ == "__main__":
    asyncio.run(main())
