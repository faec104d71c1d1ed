"""Episodes across worker processes: the same trajectories as one process, each exactly once,
resumable, with progress from every worker and a worker's failure raised in the parent."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from environments.episodes.config import RolloutConfig
from environments.episodes.parallel import (
    ProcessPlayers,
    open_players,
    run_episodes,
    shares,
    split_budget,
)
from environments.episodes.toolkit import Toolkit
from environments.tasking.agents import AgentGenConfig, generate_agents
from environments.tasking.tasks import TaskGenConfig, generate_tasks
from toolforge.core.errors import ConfigError
from toolforge.core.llm import Budget
from toolforge.core.store import Store, TrajectoryRow
from toolforge.core.types import ToolSpec, Trajectory

pytestmark = pytest.mark.slow  # spawns Python processes (a few seconds of imports each)


def _comparable(traj: Trajectory) -> dict[str, object]:
    return traj.model_dump(mode="json", exclude={"wall_time_s"})


async def test_two_workers_make_what_one_process_makes(
    sqlite_store: Store, tmp_path: Path, tickets: list[ToolSpec], shop: type[Toolkit], shop_ref: str
) -> None:
    tools = tickets + shop.specs()
    agents = await generate_agents(sqlite_store, tools, AgentGenConfig(count=3, min_tools=3, max_tools=6))
    tasks = await generate_tasks(sqlite_store, agents, tools, TaskGenConfig(toolkits=[shop_ref]))
    config = RolloutConfig(toolkits=[shop_ref], max_in_flight=8)
    alone = Store(f"sqlite:///{tmp_path / 'alone.db'}")
    single = await run_episodes(alone, tasks, agents, tools, config, attempts=2)

    ticks: list[int] = []
    summary = await run_episodes(
        sqlite_store, tasks, agents, tools, config, attempts=2, workers=2, on_progress=ticks.append
    )
    assert summary.ran == summary.requested == single.ran == 2 * len(tasks)
    assert summary.end_reasons == single.end_reasons
    assert sum(ticks) == summary.ran  # progress from both workers
    assert sqlite_store.count(TrajectoryRow) == summary.ran  # each exactly once
    mine = {t.id: _comparable(t) for t in sqlite_store.list(Trajectory)}
    assert mine == {t.id: _comparable(t) for t in alone.list(Trajectory)}
    alone.close()

    again = await run_episodes(sqlite_store, tasks, agents, tools, config, attempts=3, workers=3)
    assert again.already_done == summary.ran and again.ran == len(tasks)  # only the third attempts
    assert sqlite_store.count(TrajectoryRow) == 3 * len(tasks)


async def test_players_keep_their_processes_for_every_round(
    sqlite_store: Store, tickets: list[ToolSpec], shop: type[Toolkit], shop_ref: str
) -> None:
    tools = tickets + shop.specs()
    agents = await generate_agents(sqlite_store, tools, AgentGenConfig(count=2, min_tools=3, max_tools=6))
    tasks = await generate_tasks(sqlite_store, agents, tools, TaskGenConfig(toolkits=[shop_ref]))
    config = RolloutConfig(toolkits=[shop_ref], max_in_flight=4)
    async with open_players(sqlite_store, agents, tools, config, workers=2) as players:
        assert isinstance(players, ProcessPlayers)
        children = [process.pid for process, _ in players.children]
        first = await players.play(tasks, attempts=1)
        ticks: list[int] = []
        second = await players.play(tasks, attempts=2, on_progress=ticks.append)  # the next round
        assert [process.pid for process, _ in players.children] == children
        assert all(process.is_alive() for process, _ in players.children)
    assert first.ran == second.ran == len(tasks) and second.already_done == len(tasks)
    assert sum(ticks) == len(tasks)
    assert sqlite_store.count(TrajectoryRow) == 2 * len(tasks)
    assert not any(process.is_alive() for process, _ in players.children)  # stopped at the end


class _ParentOnly(Toolkit):
    """A toolkit with no tools, importable in the parent only (a module put in sys.modules)."""


async def test_a_failing_worker_is_raised_in_the_parent(
    sqlite_store: Store,
    tickets: list[ToolSpec],
    shop: type[Toolkit],
    shop_ref: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tools = tickets + shop.specs()
    agents = await generate_agents(sqlite_store, tools, AgentGenConfig(count=2, min_tools=3, max_tools=6))
    tasks = await generate_tasks(sqlite_store, agents, tools, TaskGenConfig(toolkits=[shop_ref]))
    module = types.ModuleType("tf_parent_only_kit")
    module.Kit = _ParentOnly  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tf_parent_only_kit", module)
    config = RolloutConfig(toolkits=[shop_ref, "tf_parent_only_kit:Kit"], max_in_flight=4)
    with pytest.raises(RuntimeError, match="rollout worker process failed.*tf_parent_only_kit"):
        await run_episodes(sqlite_store, tasks, agents, tools, config, workers=2)
    assert sqlite_store.count(TrajectoryRow) == 0  # nobody started: the worker failed before "go"


def test_shares_and_budgets() -> None:
    tasks = [types.SimpleNamespace(id=f"t{i}") for i in range(7)]
    split = shares(tasks, 3)  # type: ignore[arg-type]
    assert [[t.id for t in share] for share in split] == [["t0", "t3", "t6"], ["t1", "t4"], ["t2", "t5"]]
    assert [len(share) for share in shares(tasks[:1], 3)] == [1, 0, 0]  # type: ignore[arg-type]
    assert split_budget(Budget(max_cost_usd=3.0, max_tokens=10), 2) == Budget(max_cost_usd=1.5, max_tokens=5)
    assert split_budget(None, 4) is None


async def test_an_in_memory_store_is_refused(tickets: list[ToolSpec]) -> None:
    store = Store("sqlite:///:memory:")  # in memory: a child process would get another, empty database
    with pytest.raises(ConfigError, match="a file or a server URL"):
        await run_episodes(store, [], [], tickets, RolloutConfig(), workers=2)
