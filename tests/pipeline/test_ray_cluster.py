"""`toolforge generate --ray` on a real Ray cluster on this machine (a head and two worker nodes,
started with `ray start`) over PostgreSQL: a worker node is killed while it holds work, and the
dataset still equals the one-process run's, row for row, with no duplicate and nothing missing."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
from gated_shop import GATE_ENV
from pipeline_configs import REPO, small

from toolforge.core.store import Store, WorkUnitRow
from toolforge.core.types import Trajectory, Verdict
from toolforge.pipeline import parse_config, run_pipeline
from toolforge.pipeline.cluster.local import LocalCluster

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

GATED = f"{REPO / 'tests' / 'pipeline' / 'gated_shop.py'}:GatedShop"


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gate")


@pytest.fixture(scope="module")
def cluster(gate: Path) -> Iterator[LocalCluster]:
    with LocalCluster(workers=2, pythonpath=str(REPO), worker_env={GATE_ENV: str(gate)}) as local:
        yield local
    ray.shutdown()


def config(workspace: Path) -> dict[str, object]:
    return small(workspace, tools={"toolkits": [GATED]}, export={"formats": ["openai", "k2"]})


def rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def wait_for(condition: object, what: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_a_killed_worker_node_loses_and_repeats_nothing(
    cluster: LocalCluster, gate: Path, postgres_store: Store, tmp_path: Path
) -> None:
    assert GATE_ENV not in os.environ  # this process (the driver) never waits at the gate
    one = await run_pipeline(parse_config(config(tmp_path / "one")), progress=False)

    url = postgres_store.engine.url.render_as_string(hide_password=False)
    run = asyncio.create_task(
        run_pipeline(parse_config(config(tmp_path / "ray")), progress=False, db=url, ray=cluster.address)
    )

    def victim_holds_work() -> bool:
        if run.done():
            return True  # its error (if any) is raised below
        started = {int(p.name.split("-")[1]) for p in gate.glob("started-*")}
        return bool(started & cluster.worker_pids(0))

    await wait_for(victim_holds_work, "worker node 0 to start an episode")
    assert not run.done(), "the run ended before the worker node was killed"
    killed = cluster.kill_worker(0)
    (gate / "open").touch()
    result = await asyncio.wait_for(run, timeout=120)

    assert result.nodes.lost, "the driver did not notice the lost node"
    assert killed and not (killed & cluster.own_pids())
    for name in ("openai.jsonl", "k2.jsonl"):
        mine, theirs = (
            rows(result.export.files[name.split(".")[0]]),
            rows(one.export.files[name.split(".")[0]]),
        )
        assert [r["id"] for r in mine] == [r["id"] for r in theirs]
        assert mine == theirs
    assert len({r["id"] for r in rows(result.export.files["openai"])}) == result.export.stats["exported"] > 0

    local = Store(parse_config(config(tmp_path / "one")).store_url())
    assert postgres_store.ids(Trajectory) == local.ids(Trajectory)
    assert postgres_store.ids(Verdict) == local.ids(Verdict)
    local.close()
    assert result.sampling == one.sampling
    # which node made what: every unit is stored once, by the node that finished it
    units = postgres_store.rows(WorkUnitRow)
    assert len({u.node for u in units}) >= 2
    assert sum(u.trajectories for u in units) == len(postgres_store.ids(Trajectory))
