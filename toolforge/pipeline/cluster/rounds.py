"""One round of rejection sampling on the cluster: attempt r of every pending task, in units
handed to the nodes, which play and judge them and store both. The driver then reads the
round's trajectories and verdicts back from the store — the store, not a node's answer, is
what the dataset is made of, so a node lost after storing its work loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from environments.runner import trajectory_id
from environments.work import parts_of, split_work
from toolforge.core.store import Store
from toolforge.core.types import Task, Trajectory, Verdict
from toolforge.pipeline.cluster.node import verdict_id_of
from toolforge.pipeline.cluster.nodes import Nodes
from toolforge.pipeline.stages import StageReport

Tick = Callable[[int], None]


async def cluster_round(
    nodes: Nodes,
    store: Store,
    pending: list[Task],
    attempt: int,
    run_key: str,
    judge_key: str,
    unit_size: int,
    rollouts: StageReport,
    judged: StageReport,
    tick_rollout: Tick,
    tick_judge: Tick,
    on_unit: Callable[[dict[str, Any]], None],
) -> list[tuple[Task, Trajectory, Verdict]]:
    units = split_work(
        "episodes", run_key, [t.id for t in pending], parts_of(len(pending), unit_size), attempt
    )

    def on_result(result: dict[str, Any]) -> None:
        rollouts.new += result["rollouts_new"]
        rollouts.failed += result["rollouts_failed"]
        judged.new += result["judged_new"]
        judged.done_before += result["judged_before"]
        judged.failed += result["judged_failed"]
        tick_rollout(result["tasks"])
        tick_judge(result["tasks"])
        on_unit(result)

    await nodes.run(units, on_result)
    return await asyncio.to_thread(_read_back, store, pending, attempt, run_key, judge_key)


def _read_back(
    store: Store, pending: list[Task], attempt: int, run_key: str, judge_key: str
) -> list[tuple[Task, Trajectory, Verdict]]:
    out = []
    for task in pending:
        traj = store.get(Trajectory, trajectory_id(task.id, attempt, run_key))
        verdict = store.get(Verdict, verdict_id_of(traj.id, judge_key)) if traj is not None else None
        if traj is None or verdict is None:
            raise RuntimeError(
                f"attempt {attempt} of task {task.id} was handed to the cluster but is not stored "
                "with its verdict; run the same command again to finish it"
            )
        out.append((task, traj, verdict))
    return out
