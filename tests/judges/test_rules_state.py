"""The planted defects: every mechanical defect is caught by the rules or the state check."""

from __future__ import annotations

import planted_defects as planted
import pytest

from judges import Judge, JudgeConfig, RulesConfig, StateConfig, check_rules, check_state
from toolforge.core.types import Message


def codes(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {v["code"] for v in result.details["violations"]}


def test_the_good_trajectory_passes_rules_and_state() -> None:
    task, traj = planted.task(), planted.good()
    rules = check_rules(traj, task, RulesConfig())
    state = check_state(traj, task, StateConfig())
    assert rules.passed and rules.score == 1.0, rules.reason
    assert state.passed and state.score == 1.0, state.reason
    assert state.details["expected_hash"] == state.details["actual_hash"]


@pytest.mark.parametrize("name", sorted(planted.defects()))
def test_each_planted_defect_is_caught_by_its_check(name: str) -> None:
    traj, check, marker = planted.defects()[name]
    task = planted.task()
    rules = check_rules(traj, task, RulesConfig())
    state = check_state(traj, task, StateConfig())
    assert not (rules.passed and state.passed), f"{name} slipped through both checks"
    if check == "rules":
        assert not rules.passed
        assert marker in codes(rules), rules.reason
        assert rules.score < 1.0
    else:
        assert not state.passed
        assert any(marker in d for d in state.details["diffs"]), state.details


def test_the_planted_set_covers_the_defects_the_issue_names() -> None:
    names = set(planted.defects())
    for required in [
        "wrong_tool",
        "invalid_arguments",
        "tool_not_offered",
        "premature_stop",
        "ignored_tool_error",
        "wrong_end_state",
        "padding_calls",
    ]:
        assert required in names


def test_a_reported_tool_error_is_not_a_violation() -> None:
    traj = planted.defects()["ignored_tool_error"][0]
    messages = [
        *traj.messages[:-1],
        Message(role="assistant", content="Sorry, the cancellation failed; try later."),
    ]
    told = traj.model_copy(update={"messages": messages})
    assert "ignored_tool_error" not in codes(check_rules(told, planted.task(), RulesConfig()))


def test_a_retried_tool_error_is_not_a_violation() -> None:
    traj = planted.defects()["ignored_tool_error"][0]
    retried = traj.model_copy(update={"messages": [*traj.messages[:-1], *planted.CANCEL, planted.DONE]})
    assert "ignored_tool_error" not in codes(check_rules(retried, planted.task(), RulesConfig()))


def test_a_confirming_read_after_a_write_is_not_padding() -> None:
    confirm = planted.trajectory(
        [*planted.LOOKUP, *planted.CANCEL, *planted.LOOKUP[:1], planted.LOOKUP[1], planted.DONE]
    )
    # the same call id twice is unusual but legal here; the point is the read after the write
    result = check_rules(confirm, planted.task(), RulesConfig())
    assert "repeated_call" not in codes(result)
    assert "extra_calls" in codes(result) and result.passed and result.score == pytest.approx(0.9)


def test_extra_calls_cost_score_and_too_many_fail() -> None:
    many = [*planted.LOOKUP]
    for i in range(6):
        many += [
            Message(
                role="assistant",
                content=None,
                tool_calls=[planted._call(f"x{i}", "get_order", order_id=f"ord_{i + 10}")],
            ),
            planted._result(f"x{i}", {"id": f"ord_{i + 10}", "status": "pending"}),
        ]
    result = check_rules(
        planted.trajectory([*many, *planted.CANCEL, planted.DONE]), planted.task(), RulesConfig()
    )
    assert not result.passed and "too_many_calls" in codes(result)
    assert result.details["calls"] == 8 and result.details["expected_calls"] == 2


def test_subset_mode_allows_extra_keys_and_hash_mode_does_not() -> None:
    task = planted.task()
    extra = planted.trajectory(
        [*planted.LOOKUP, *planted.CANCEL, planted.DONE], final_state={**planted.END, "log": [1]}
    )
    assert check_state(extra, task, StateConfig(mode="subset")).passed
    hashed = check_state(extra, task, StateConfig(mode="hash"))
    assert not hashed.passed and "/log unexpected" in hashed.details["diffs"]


def test_state_uses_the_replay_when_given() -> None:
    task, traj = planted.task(), planted.good()
    replayed = check_state(traj, task, StateConfig(), reference=planted.START)
    assert not replayed.passed and replayed.details["num_diffs"] == 1


def test_ignored_keys_are_left_out_of_the_comparison() -> None:
    task = planted.task()
    stamped = {"orders": {k: {**v, "updated_at": "now"} for k, v in planted.END["orders"].items()}}
    traj = planted.trajectory([*planted.LOOKUP, *planted.CANCEL, planted.DONE], final_state=stamped)
    assert not check_state(traj, task, StateConfig()).passed
    assert check_state(traj, task, StateConfig(ignore_keys=["updated_at"])).passed


def test_judge_config_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="extra"):
        JudgeConfig.model_validate({"rules": {"enabled": True, "budgett": 3}})


def test_a_state_that_cannot_be_compared_is_unchecked_never_a_pass() -> None:
    traj = planted.defects()["wrong_end_state"][0]
    simulated = traj.model_copy(
        update={"metadata": {"executors": {"cancel_order": "world_model", "get_order": "schema"}}}
    )
    result = check_state(simulated, planted.task(), StateConfig())
    assert not result.passed and result.details["unchecked"] and "world_model" in result.reason
    # a real server whose world was not read back cannot be compared either
    blind = planted.good().model_copy(update={"metadata": {"executors": {"cancel_order": "mcp"}}})
    result = check_state(blind, planted.task(), StateConfig())
    assert not result.passed and result.reason.startswith("unchecked")
    schema_only = traj.model_copy(update={"metadata": {"executors": {"cancel_order": "schema"}}})
    assert not check_state(schema_only, planted.task(), StateConfig()).passed


async def test_an_unchecked_state_is_rejected_only_when_state_is_required() -> None:
    good = planted.good()
    blind = good.model_copy(update={"metadata": {"executors": {"cancel_order": "world_model"}}})
    strict = JudgeConfig(rubric={"enabled": False}, required=["rules", "state"])
    lenient = JudgeConfig(rubric={"enabled": False}, required=["rules"])
    assert not (await Judge(strict).judge(blind, planted.task())).accepted
    assert (await Judge(lenient).judge(blind, planted.task())).accepted


def test_bookkeeping_is_left_out_of_the_comparison() -> None:
    traj = planted.trajectory(
        [*planted.LOOKUP, *planted.CANCEL, planted.DONE], final_state={**planted.END, "_seq": {"order": 9}}
    )
    assert check_state(traj, planted.task(), StateConfig()).passed
