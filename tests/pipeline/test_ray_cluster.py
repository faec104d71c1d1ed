"""`toolforge generate --ray` on a real Ray cluster on this machine (a head and two worker nodes,
started with `ray start`) over PostgreSQL: a worker node is killed while it holds work, and the
dataset still equals the one-process run's, row for row, with no duplicate and nothing missing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import ray
from gated_shop import GATE_ENV
from pipeline_configs import REPO, small, write
from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.errors import BudgetExceeded
from toolforge.core.llm import Budget, LLMClient, LLMConfig
from toolforge.core.store import RunRow, Store, WorkUnitRow
from toolforge.core.types import Trajectory, Verdict
from toolforge.pipeline import PipelineResult, parse_config, run_pipeline
from toolforge.pipeline.cluster.connect import connect
from toolforge.pipeline.cluster.limits import RaySharedLimits, start_limits
from toolforge_testing.llm_server import TestServer
from toolforge_testing.ray_cluster import LocalCluster

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

GATED = f"{REPO / 'tests' / 'pipeline' / 'gated_shop.py'}:GatedShop"


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gate")


@pytest.fixture(scope="module")
def cluster(gate: Path) -> Iterator[LocalCluster]:
    with LocalCluster(workers=2, pythonpath=str(REPO), worker_env={GATE_ENV: str(gate)}) as local:
        yield local
        ray.shutdown()  # this process leaves the cluster before its processes are stopped


def config(workspace: Path) -> dict[str, object]:
    return small(workspace, tools={"toolkits": [GATED]}, export={"formats": ["openai", "k2"]})


def rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def same_dataset(mine: PipelineResult, theirs: PipelineResult) -> None:
    for fmt in ("openai", "k2"):
        ours, reference = rows(mine.export.files[fmt]), rows(theirs.export.files[fmt])
        assert [r["id"] for r in ours] == [r["id"] for r in reference]
        assert ours == reference
    assert len({r["id"] for r in rows(mine.export.files["openai"])}) == mine.export.stats["exported"] > 0
    assert mine.sampling == theirs.sampling


async def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_a_killed_worker_node_loses_and_repeats_nothing(
    cluster: LocalCluster, gate: Path, postgres_store: Store, tmp_path: Path
) -> None:
    assert GATE_ENV not in os.environ  # this process (the driver) never waits at the gate
    one = await run_pipeline(parse_config(config(tmp_path / "one")))

    url = postgres_store.engine.url.render_as_string(hide_password=False)
    run = asyncio.create_task(
        run_pipeline(parse_config(config(tmp_path / "ray")), db=url, ray=cluster.address)
    )

    def holding() -> list[int]:
        """The worker nodes with a unit in hand (waiting at the gate)."""
        started = {int(p.name.split("-")[1]) for p in gate.glob("started-*")}
        return [i for i in range(2) if started & cluster.worker_pids(i)]

    await wait_for(lambda: run.done() or bool(holding()), "a worker node to start a unit")
    if run.done():
        run.result()  # raises the run's error, if it had one
        pytest.fail("the run ended before a worker node was killed")
    killed = cluster.kill_worker(holding()[0])
    (gate / "open").touch()
    result = await asyncio.wait_for(run, timeout=120)

    assert result.nodes.lost, "the driver did not notice the lost node"
    assert killed and not (killed & cluster.own_pids())
    same_dataset(result, one)

    local = Store(parse_config(config(tmp_path / "one")).store_url())
    assert postgres_store.ids(Trajectory) == local.ids(Trajectory)
    assert postgres_store.ids(Verdict) == local.ids(Verdict)
    local.close()
    # which node made what: every unit is stored once, by the node that finished it
    units = postgres_store.rows(WorkUnitRow)
    assert len({u.node for u in units}) >= 2
    assert sum(u.trajectories for u in units) == len(postgres_store.ids(Trajectory))
    shown = CliRunner().invoke(app, ["stats", "--db", url], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "which node made what" in shown.output
    assert all(u.node in shown.output for u in units)


async def test_a_killed_driver_is_run_again_and_resumes(
    cluster: LocalCluster, gate: Path, postgres_store: Store, tmp_path: Path
) -> None:
    (gate / "open").touch()  # no gate in this test
    url = postgres_store.engine.url.render_as_string(hide_password=False)
    config_file = write(tmp_path / "p.yaml", config(tmp_path / "ray"))
    driver = subprocess.Popen(
        [sys.executable, "-m", "toolforge.cli", "generate", "--config", str(config_file),
         "--ray", cluster.address, "--db", url, "--no-progress"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        await wait_for(
            lambda: postgres_store.count(WorkUnitRow, stage="episodes") > 0 or driver.poll() is not None,
            "the driver's first finished unit of episodes",
        )
    finally:
        driver.kill()
        _, err = driver.communicate()
    run = postgres_store.get_run("pipeline:small")
    assert isinstance(run, RunRow) and run.status == "running", err.decode()[-2000:]  # killed mid-run
    stored_before = postgres_store.ids(Trajectory)

    again = await run_pipeline(parse_config(config(tmp_path / "ray")), db=url, ray=cluster.address)
    one = await run_pipeline(parse_config(config(tmp_path / "one")))
    same_dataset(again, one)
    assert any("resuming run" in line for line in again.resumed)
    reports = {r.name: r for r in again.reports}
    assert reports["rollouts"].done_before >= len(stored_before) > 0  # reused, not redone
    assert reports["tasks"].done_before == reports["tasks"].total > 0  # written by the killed run's nodes


async def test_the_cluster_spends_one_budget(cluster: LocalCluster) -> None:
    ray_module = connect(cluster.address)
    limits = start_limits(ray_module)
    try:
        with TestServer() as server:
            cfg = LLMConfig(model="openai/test-model", api_base=server.url, transport="openai_compatible")
            budget = Budget(max_tokens=1)
            async with (
                LLMClient(budget=budget, shared=RaySharedLimits(limits)) as a,
                LLMClient(budget=budget, shared=RaySharedLimits(limits)) as b,
            ):
                await a.complete(cfg, [{"role": "user", "content": "one"}], role="user")
                with pytest.raises(BudgetExceeded, match="token budget used up"):
                    await b.complete(cfg, [{"role": "user", "content": "two"}], role="user")
            assert len(server.requests) == 1
        report = ray_module.get(limits.report.remote())
        assert report["tokens"] == a.usage.prompt_tokens + a.usage.completion_tokens > 0
    finally:
        ray_module.kill(limits)
