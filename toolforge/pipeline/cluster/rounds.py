"""One round of rejection sampling on the cluster: attempt r of every pending task, in units
handed to the nodes, which play and judge them and store both. The driver then reads the
round's trajectories and verdicts back from the store — the store, not a node's answer, is
what the dataset is made of, so a node lost after storing its work loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from environments.episodes.work import parts_of, split_work
from toolforge.core.store import Store
from toolforge.core.types import Task, Trajectory, Verdict, verdict_id
from toolforge.pipeline.attempts import RoundReports, read_round
from toolforge.pipeline.cluster.nodes import Nodes


async def cluster_round(
    nodes: Nodes,
    store: Store,
    pending: list[Task],
    attempt: int,
    run_key: str,
    judge_key: str,
    unit_size: int,
    reports: RoundReports,
    on_unit: Callable[[dict[str, Any]], None],
) -> list[tuple[Task, Trajectory, Verdict]]:
    units = split_work(
        "episodes", run_key, [t.id for t in pending], parts_of(len(pending), unit_size), attempt
    )

    def on_result(result: dict[str, Any]) -> None:
        reports.rollouts.new += result["rollouts_new"]
        reports.rollouts.failed += result["rollouts_failed"]
        reports.judged.new += result["judged_new"]
        reports.judged.done_before += result["judged_before"]
        reports.judged.failed += result["judged_failed"]
        reports.progress.advance("rollouts", result["tasks"])
        reports.progress.advance("judges", result["tasks"])
        on_unit(result)

    await nodes.run(units, on_result)
    return await asyncio.to_thread(_read_back, store, pending, attempt, run_key, judge_key)


def _read_back(
    store: Store, pending: list[Task], attempt: int, run_key: str, judge_key: str
) -> list[tuple[Task, Trajectory, Verdict]]:
    """The round as the store holds it: its trajectories (one query) and their verdicts (one more)."""
    trajectories = read_round(store, run_key, attempt, [t.id for t in pending])
    verdicts = store.get_many(Verdict, [verdict_id(t.id, judge_key) for t in trajectories.values()])
    out = []
    for task in pending:
        traj = trajectories[task.id]
        verdict = verdicts.get(verdict_id(traj.id, judge_key))
        if verdict is None:
            raise RuntimeError(
                f"attempt {attempt} of task {task.id} was handed to the cluster but its verdict is not "
                "stored; run the same command again to finish it"
            )
        out.append((task, traj, verdict))
    return out
