"""One rejection-sampling round's work, wherever it runs: play attempt r of some tasks, read the
trajectories back from the store, judge each (a stored verdict is reused). The pipeline's
rounds, code tasks' rounds and a cluster node's units all do exactly this; `judges.sampling`
decides which tasks each round holds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from environments.episodes.parallel import Players
from judges import Judge
from toolforge.core.store import Store
from toolforge.core.types import Task, Trajectory, Verdict, verdict_id
from toolforge.pipeline.progress import Quiet, StageProgress

Judged = tuple[Trajectory, Verdict]


@dataclass
class StageReport:
    name: str
    total: int = 0
    done_before: int = 0
    new: int = 0
    failed: int = 0
    seconds: float = 0.0
    # this process's CPU time in the stage, all its threads (not `rollouts.workers`' processes):
    # on a loaded machine, wall seconds measure the load as much as the stage
    cpu_seconds: float = 0.0
    note: str = ""


def clock() -> tuple[float, float]:
    """(wall, this process's CPU) seconds now, for `since`."""
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    """(wall, CPU) seconds since `start` (a `clock()`), rounded as a report keeps them."""
    wall, cpu = clock()
    return round(wall - start[0], 2), round(cpu - start[1], 2)


def accepted(pair: Judged) -> bool:
    return pair[1].accepted


@dataclass
class RoundReports:
    """The reports a round fills and the progress it tells."""

    rollouts: StageReport
    judged: StageReport
    progress: StageProgress = field(default_factory=Quiet)


def read_round(store: Store, run_key: str, attempt: int, task_ids: Sequence[str]) -> dict[str, Trajectory]:
    """Attempt `attempt` of each task as the store holds it under `run_key`: a query per 500 tasks
    (a node's unit reads its own tasks, not the round); a task whose attempt is not stored is an
    error (it was handed out to be played)."""
    found = {
        t.task_id: t for t in store.list_in(Trajectory, "task_id", task_ids, run_key=run_key, attempt=attempt)
    }
    missing = [t for t in task_ids if t not in found]
    if missing:
        raise RuntimeError(
            f"attempt {attempt} of {len(missing)} task(s) (e.g. {missing[0]}) was played but is not stored "
            "under this run; run the same command again to finish it"
        )
    return found


async def judge_round(
    store: Store,
    judge: Judge,
    trajectories: dict[str, Trajectory],
    tasks: Sequence[Task],
    gate: asyncio.Semaphore,
    reports: RoundReports,
) -> dict[str, Judged]:
    """Each task's trajectory with its verdict: the stored one under this judge (asked for in one
    query), or a new one, stored before it is returned."""
    ids = [verdict_id(t.id, judge.key) for t in trajectories.values()]
    known = await asyncio.to_thread(store.get_many, Verdict, ids)

    async def one(task: Task) -> tuple[str, Judged]:
        traj = trajectories[task.id]
        verdict = await ensure_verdict(
            store, judge, traj, task, known.get(verdict_id(traj.id, judge.key)), gate, reports.judged
        )
        reports.progress.advance("judges", 1)
        return task.id, (traj, verdict)

    return dict(await asyncio.gather(*(one(t) for t in tasks)))


async def ensure_verdict(
    store: Store,
    judge: Judge,
    traj: Trajectory,
    task: Task,
    stored: Verdict | None,
    gate: asyncio.Semaphore,
    report: StageReport,
) -> Verdict:
    """`stored` (the verdict of `traj` under this judge) when its judge did not fail, else a new
    verdict, stored before it is returned."""
    if stored is not None and stored.error is None:
        report.done_before += 1
        return stored
    async with gate:  # new, or its judge failed before: judged (again)
        verdict = await judge.judge(traj, task)
    await asyncio.to_thread(store.put, [verdict])
    report.new += 1
    # a check that is not required may fail without failing the verdict (it is in the summary)
    report.failed += verdict.error is not None and verdict.error.split(":", 1)[0] in judge.cfg.required
    return verdict


async def play_and_judge(
    store: Store,
    players: Players,
    tasks: Sequence[Task],
    attempt: int,
    judge: Judge,
    gate: asyncio.Semaphore,
    reports: RoundReports,
) -> dict[str, Judged]:
    """Attempt `attempt` of each task (and any earlier attempt the store lacks) played and stored,
    read back, and judged."""
    t0 = clock()
    summary = await players.play(tasks, attempt + 1, lambda n: reports.progress.advance("rollouts", n))
    reports.rollouts.new += summary.ran
    reports.rollouts.failed += summary.end_reasons.get("infra_error", 0)
    played, t1 = since(t0), clock()
    run_key = players.config.run_key()
    trajectories = await asyncio.to_thread(read_round, store, run_key, attempt, [t.id for t in tasks])
    judged = await judge_round(store, judge, trajectories, tasks, gate, reports)
    for report, (seconds, cpu_seconds) in ((reports.rollouts, played), (reports.judged, since(t1))):
        report.seconds += seconds
        report.cpu_seconds += cpu_seconds
    return judged
