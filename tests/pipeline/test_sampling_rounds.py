"""The pipeline's rejection sampling as the store sees it: a resumed run asks the store what it
holds (a deleted trajectory is replayed, exactly that one), episodes played in worker processes
make the same run as one process, and code tasks go through the same sampler as tool tasks."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline_configs import REPO, small
from sqlmodel import Session

from toolforge.core.store import Store, TrajectoryRow
from toolforge.core.types import Task, Trajectory, Verdict
from toolforge.pipeline import PipelineResult, parse_config, run_pipeline
from toolforge.pipeline.stages import StageReport

# the test interpreter (a venv over pyenv, with pytest) must be visible inside bubblewrap
BINDS = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc", sys.prefix, sys.base_prefix]


def _report(result: PipelineResult, name: str) -> StageReport:
    return next(r for r in result.reports if r.name == name)


async def test_a_resumed_run_replays_exactly_the_trajectory_deleted_from_the_store(tmp_path: Path) -> None:
    cfg = parse_config(small(tmp_path / "ws"))
    await run_pipeline(cfg)
    store = Store(cfg.store_url())
    before = {t.id: t for t in store.list(Trajectory)}
    gone = next(t for t in sorted(before.values(), key=lambda t: t.id) if t.attempt == 1)
    with Session(store.engine) as session:
        session.delete(session.get(TrajectoryRow, gone.id))
        session.commit()
    store.close()

    again = await run_pipeline(cfg)
    rollouts, judges = _report(again, "rollouts"), _report(again, "judges")
    assert rollouts.new == 1 and rollouts.done_before == len(before) - 1
    assert judges.new == 0  # the same trajectory again: its stored verdict stands
    store = Store(cfg.store_url())
    back = store.get(Trajectory, gone.id)
    assert back is not None and back.messages == gone.messages
    assert store.ids(Trajectory) == set(before)
    store.close()


async def test_episodes_in_two_worker_processes_make_the_same_run(tmp_path: Path) -> None:
    one = await run_pipeline(parse_config(small(tmp_path / "one")))
    data = small(tmp_path / "two")
    data["rollouts"]["workers"] = 2
    cfg = parse_config(data)
    two = await run_pipeline(cfg)
    assert two.sampling == one.sampling
    assert _report(two, "rollouts").new == _report(one, "rollouts").new == 30
    stores = [Store(parse_config(small(tmp_path / "one")).store_url()), Store(cfg.store_url())]
    ids = [s.ids(Trajectory) for s in stores]
    for s in stores:
        s.close()
    assert ids[0] == ids[1]  # the same ids: no trajectory depends on the process that played it

    again = await run_pipeline(cfg)  # resumed with the workers: nothing played twice
    assert _report(again, "rollouts").new == 0 and _report(again, "rollouts").done_before == 30


async def test_code_tasks_are_sampled_like_tool_tasks(tmp_path: Path) -> None:
    data = small(tmp_path / "ws")
    data["agents"]["count"] = 1
    data["tasks"]["difficulties"] = ["single_call", "multi_call"]
    data["tasks"]["per_difficulty"] = 1
    # multi_call and code attempts both blow their token budget: every one rejected, sampled again
    data["judges"]["rules"]["token_budget"] = {"multi_call": 40, "code": 40}
    data["code_tasks"] = {
        "paths": [str(REPO / "examples" / "code_tasks" / "median")],
        "policy": "gold",
        "backend": {"type": "local", "ro_binds": BINDS},
        "python": sys.executable,
    }
    cfg = parse_config(data)
    result = await run_pipeline(cfg)
    by = result.sampling.by_difficulty
    assert by["code"].attempts == by["multi_call"].attempts == 3 and by["code"].accepted == 0
    assert by["single_call"].attempts == 1 and by["single_call"].accepted == 1
    assert result.sampling.failures_by_check["rules"] == 6

    store = Store(cfg.store_url())
    tasks = {t.id: t for t in store.list(Task)}
    verdicts = {v.trajectory_id: v for v in store.list(Verdict)}
    attempts: dict[str, list[int]] = {}
    for traj in store.list(Trajectory):
        attempts.setdefault(tasks[traj.task_id].difficulty, []).append(traj.attempt)
        assert traj.id in verdicts  # every attempt stored with its verdict
    assert len({v.judge_key for v in verdicts.values()}) == 1  # all under the run's one judge
    assert sorted(attempts["code"]) == sorted(attempts["multi_call"]) == [0, 1, 2]
    code_keys = {t.run_key for t in store.list(Trajectory) if tasks[t.task_id].difficulty == "code"}
    assert len(code_keys) == 1  # one run key names all the code attempts of the run
    store.close()
