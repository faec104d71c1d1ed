"""How a run's end is told: failures grouped by reason with a fix, and what fails the command."""

from __future__ import annotations

from toolforge.core.store import Store
from toolforge.pipeline.outcome import failure_groups, failure_ids, judge_outcome


def test_failures_of_this_invocation_are_grouped_by_reason_without_their_items(sqlite_store: Store) -> None:
    sqlite_store.record_failure("tasks", "old", "no chain of recovery ran on its world in 40 tries")
    known = failure_ids(sqlite_store)
    for item in ("a1", "a2", "a3"):
        sqlite_store.record_failure("tasks", item, "no chain of multi_call ran on its world in 40 tries")
    sqlite_store.record_failure("judge", "traj_0123456789abcdef", "rubric: StructuredOutputError: x")
    groups = failure_groups(sqlite_store, known, [("rollouts", "InfraError: sandbox died")])
    assert [(g.stage, g.reason, g.count) for g in groups] == [
        ("tasks", "no chain of multi_call ran on its world in N tries", 3),
        ("judge", "rubric: StructuredOutputError", 1),
        ("rollouts", "InfraError: sandbox died", 1),
    ]
    assert "agents.max_tools" in groups[0].fix and "stronger model" in groups[1].fix


def test_empty_stages_and_failure_rates_past_the_threshold_fail_the_command() -> None:
    assert judge_outcome({"tasks": (10, 2), "judges": (10, 0)}, exported=5, max_failure_rate=0.5) == []
    problems = judge_outcome({"tasks": (0, 4), "judges": (3, 7)}, exported=0, max_failure_rate=0.5)
    assert problems == [
        "stage tasks produced nothing (4 failed)",
        "stage judges: 7 of 10 failed (70% > max_failure_rate 50%)",
        "the dataset is empty: no attempt was accepted",
    ]
    assert judge_outcome({"judges": (3, 7)}, exported=1, max_failure_rate=0.8) == []
