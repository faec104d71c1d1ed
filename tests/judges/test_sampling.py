"""Rejection sampling: stop at the n-th accepted, keep every attempt, and the statistics."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from judges import AttemptOutcome, SamplingConfig, sampling_stats
from judges.sampling import SamplingTally, rejection_sample, sample_task
from toolforge.core.types import CheckResult, Verdict


def verdict(accepted: bool, failed: str = "rules") -> Verdict:
    check = CheckResult(check=failed, passed=accepted, score=1.0 if accepted else 0.0)
    return Verdict(trajectory_id="t", checks=[check], score=check.score, accepted=accepted)


async def run(pattern: list[bool], cfg: SamplingConfig) -> tuple[list[Verdict], list[int]]:
    seen: list[int] = []

    async def attempt(index: int) -> Verdict:
        seen.append(index)
        return verdict(pattern[index])

    return await sample_task(attempt, cfg), seen


async def test_sampling_stops_at_the_first_accepted_attempt() -> None:
    verdicts, seen = await run([False, False, True, True], SamplingConfig(attempts=4))
    assert seen == [0, 1, 2]
    assert [v.accepted for v in verdicts] == [False, False, True]


async def test_sampling_stops_at_the_nth_accepted_or_after_k() -> None:
    _, seen = await run([True, False, True, True, True], SamplingConfig(attempts=5, stop_after_accepted=2))
    assert seen == [0, 1, 2]
    _, seen = await run([False] * 5, SamplingConfig(attempts=3))
    assert seen == [0, 1, 2]


async def test_rounds_hold_only_the_tasks_still_in_play() -> None:
    patterns = {"a": [True], "b": [False, True], "c": [False, False, False, True]}
    rounds: list[tuple[int, list[str]]] = []

    async def play_round(pending: list[str], index: int) -> dict[str, Verdict]:
        rounds.append((index, pending))
        return {task: verdict(patterns[task][index]) for task in pending}

    made = await rejection_sample(
        list(patterns), play_round, SamplingConfig(attempts=3), lambda v: v.accepted
    )
    assert rounds == [(0, ["a", "b", "c"]), (1, ["b", "c"]), (2, ["c"])]  # at most k, gone once accepted
    assert {t: [v.accepted for v in vs] for t, vs in made.items()} == {
        "a": [True],
        "b": [False, True],
        "c": [False, False, False],
    }


async def test_a_round_that_answers_no_attempt_for_a_task_is_an_error() -> None:
    async def forgetful(pending: list[str], index: int) -> dict[str, Verdict]:
        return {pending[0]: verdict(False)}

    with pytest.raises(RuntimeError, match="round 0 answered no attempt for 1 task"):
        await rejection_sample(["a", "b"], forgetful, SamplingConfig(attempts=2), lambda v: v.accepted)


def outcome(
    task: str, attempt: int, accepted: bool, domain: str = "shop", difficulty: str = "multi_call", **kw
) -> AttemptOutcome:  # type: ignore[no-untyped-def]
    return AttemptOutcome(
        task_id=task,
        attempt=attempt,
        accepted=accepted,
        score=float(accepted),
        domain=domain,
        difficulty=difficulty,
        **kw,
    )


def test_stats_give_acceptance_pass_at_k_and_failure_reasons() -> None:
    outcomes = [
        outcome("a", 0, True),
        outcome("b", 0, False, failed_checks=["rules"]),
        outcome("b", 1, True),
        outcome("c", 0, False, failed_checks=["state"], domain="agenda"),
        outcome("c", 1, False, failed_checks=["rules", "state"], domain="agenda"),
        outcome("c", 2, False, failed_checks=["rubric"], domain="agenda", difficulty="single_call"),
        outcome("d", 0, False, failed_checks=["judge_error"], error="rubric: timeout", domain="agenda"),
    ]
    stats = sampling_stats(outcomes, k=3)
    assert stats.tasks == 4 and stats.attempts == 7 and stats.accepted == 2
    assert stats.acceptance_rate == pytest.approx(2 / 7)
    assert stats.pass_at == {1: pytest.approx(0.25), 2: pytest.approx(0.5), 3: pytest.approx(0.5)}
    assert stats.failures_by_check == {"judge_error": 1, "rubric": 1, "rules": 2, "state": 2}
    assert stats.by_domain["shop"].tasks_passed == 2 and stats.by_domain[
        "shop"
    ].acceptance_rate == pytest.approx(2 / 3)
    assert stats.by_domain["agenda"].failures == {"state": 2, "rules": 1, "rubric": 1, "judge_error": 1}
    # a task is grouped by its first attempt's difficulty
    assert stats.by_difficulty["multi_call"].tasks == 4
    assert stats.judge_errors == 1


def test_outcome_of_a_failed_judge_counts_a_judge_error() -> None:
    failed = Verdict(trajectory_id="t", checks=[], score=0.0, accepted=False, error="rubric: boom")
    assert AttemptOutcome.of("t", 0, failed).failed_checks == ["judge_error"]


def test_group_failures_are_listed_in_the_order_they_were_first_met() -> None:
    outcomes = [
        outcome("c", 1, False, failed_checks=["rules", "state"]),
        outcome("d", 0, False, failed_checks=["judge_error"]),
        outcome("c", 0, False, failed_checks=["state"]),
        outcome("c", 2, False, failed_checks=["rubric"]),
    ]
    stats = sampling_stats(outcomes, k=3)
    assert list(stats.by_domain["shop"].failures) == ["state", "rules", "rubric", "judge_error"]


def whole_list_groups(outcomes: list[AttemptOutcome]) -> dict[str, list[tuple[str, int]]]:
    """The statistics' group failures as one pass over every outcome (sorted) makes them: the
    oracle a tally fed a task at a time, in any order, must equal (counts and order)."""
    by_task: dict[str, list[AttemptOutcome]] = defaultdict(list)
    for o in sorted(outcomes, key=lambda o: (o.task_id, o.attempt)):
        by_task[o.task_id].append(o)
    groups: dict[str, dict[str, int]] = defaultdict(dict)
    for attempts in by_task.values():
        failures = groups[attempts[0].domain]
        for o in attempts:
            for check in [] if o.accepted else o.failed_checks:
                failures[check] = failures.get(check, 0) + 1
    return {name: list(failures.items()) for name, failures in sorted(groups.items())}


def test_a_tally_fed_a_task_at_a_time_in_any_order_gives_the_whole_list_statistics() -> None:
    rng = random.Random(7)
    checks = ["rules", "state", "rubric", "grounding", "judge_error"]
    outcomes = []
    for t in range(300):
        domain = rng.choice(["shop", "agenda", "bank"])
        difficulty = rng.choice(["single_call", "multi_call", "recovery"])
        for attempt in range(rng.randint(1, 3)):
            accepted = rng.random() < 0.4
            failed = [] if accepted else rng.sample(checks, rng.randint(1, 3))
            outcomes.append(
                outcome(f"task{t:03d}", attempt, accepted, domain, difficulty, failed_checks=failed)
            )
    whole = sampling_stats(outcomes, k=3)
    by_task: dict[str, list[AttemptOutcome]] = defaultdict(list)
    for o in outcomes:
        by_task[o.task_id].append(o)
    order = list(by_task)
    rng.shuffle(order)
    tally = SamplingTally(3)
    for task in order:
        tally.add(list(reversed(by_task[task])))
    streamed = tally.stats()
    assert streamed.model_dump_json() == whole.model_dump_json()  # every count, and every dict's order
    oracle = whole_list_groups(outcomes)
    assert {name: list(g.failures.items()) for name, g in streamed.by_domain.items()} == oracle
    assert streamed.attempts == len(outcomes) and streamed.tasks == 300
    passed_at_1 = sum(
        1 for attempts in by_task.values() if any(o.accepted and o.attempt == 0 for o in attempts)
    )
    assert streamed.pass_at[1] == pytest.approx(passed_at_1 / 300)
