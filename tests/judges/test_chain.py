"""The rules judge rejects a multi-call trajectory whose calls serve no one task (the two shapes
the offline demo wrote and accepted), naming the call and why, and accepts the coherent twins;
the rule can be switched off."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import planted_defects as planted

from environments.episodes.code_task_episode import code_task_records
from judges import RulesConfig, check_rules
from sandbox import load_task
from toolforge.core.call_links import Call
from toolforge.core.types import CheckResult, Message, ToolCall, Trajectory

REPO = Path(__file__).resolve().parents[2]
# tests/core/test_call_links.py holds the same real shapes, call by call.
SLOTS = {"day": "2026-03-17", "slots": [{"start": "2026-03-17T09:00", "end": "2026-03-17T12:00"}]}


def _trajectory(calls: list[Call]) -> Trajectory:
    messages = [
        Message(role="system", content="You are the calendar desk."),
        Message(role="user", content="Please book “Spring board meeting check” on 2026-03-17 for me."),
    ]
    for i, call in enumerate(calls):
        messages.append(
            Message(
                role="assistant", content=None, tool_calls=[ToolCall.make(f"c{i}", call.name, call.arguments)]
            )
        )
        content = "Error: overlaps evt_0001" if call.is_error else json.dumps(call.result)
        messages.append(
            Message(role="tool", tool_call_id=f"c{i}", content=content, is_error=call.is_error or None)
        )
    messages.append(
        Message(
            role="assistant", content="I'm sorry, that could not be done." if calls[-1].is_error else "Done."
        )
    )
    props: dict[str, dict[str, Any]] = {}
    for call in calls:
        props.setdefault(call.name, {}).update({k: {} for k in call.arguments})
    tools = [
        {"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": p}}}
        for n, p in props.items()
    ]
    return Trajectory(
        task_id="task_x",
        agent_id="agent_x",
        attempt=0,
        messages=messages,
        tools=tools,
        end_reason="user_stop",
    )


def _codes(result: CheckResult) -> list[str]:
    return [v["code"] for v in result.details["violations"]]


def _slots(calendar: str, day: str = "2026-03-17") -> Call:
    return Call("find_free_slots", {"calendar_id": calendar, "day": day}, {**SLOTS, "day": day})


def _created(calendar: str) -> Call:
    args = {
        "calendar_id": calendar,
        "title": "Spring board meeting check",
        "start": "2026-03-17T09:00",
        "end": "2026-03-17T10:00",
    }
    return Call("create_event", args, {"id": "evt_0003", **args, "status": "confirmed"})


def test_slots_on_one_calendar_booked_on_another_fail_rules_with_the_reason() -> None:
    result = check_rules(_trajectory([_slots("cal_team"), _created("cal_home")]), None, RulesConfig())
    assert not result.passed and _codes(result) == ["crossed_entity"]
    assert (
        "call 2 (create_event)" in result.reason
        and "cal_team" in result.reason
        and "cal_home" in result.reason
    )
    twin = check_rules(_trajectory([_slots("cal_team"), _created("cal_team")]), None, RulesConfig())
    assert twin.passed, twin.reason


def test_free_slots_on_an_unrelated_day_after_an_update_fail_rules() -> None:
    renamed = {
        "id": "evt_0001",
        "calendar_id": "cal_work",
        "title": "Final workshop review",
        "start": "2026-12-01T09:00",
        "end": "2026-12-01T10:00",
    }
    update = Call("update_event", {"event_id": "evt_0001", "title": "Final workshop review"}, renamed)
    result = check_rules(_trajectory([update, _slots("cal_work", "2026-01-18")]), None, RulesConfig())
    assert not result.passed and _codes(result) == ["unrelated_call"]
    assert "call 2 (find_free_slots)" in result.reason and "2026-01-18" in result.reason
    twin = check_rules(_trajectory([update, _slots("cal_work", "2026-12-01")]), None, RulesConfig())
    assert twin.passed, twin.reason


def test_the_rule_can_be_switched_off() -> None:
    traj = _trajectory([_slots("cal_team"), _created("cal_home")])
    assert check_rules(traj, None, RulesConfig(require_coherent_chain=False)).passed


def test_the_planted_mix_up_of_two_orders_is_caught_as_crossed() -> None:
    traj, _, _ = planted.defects()["wrong_end_state"]
    result = check_rules(traj, planted.task(), RulesConfig())
    assert "crossed_entity" in _codes(result)
    assert check_rules(planted.good(), planted.task(), RulesConfig()).passed


def test_a_code_tasks_calls_share_its_workspace_so_the_chain_rule_leaves_them_alone() -> None:
    """A code task's calls link through the workspace no argument names: the task built for it
    declares so, and the rule reads the declaration; a tool task's unlinked calls are flagged."""
    _, code = code_task_records(load_task(REPO / "examples" / "code_tasks" / "median"))
    assert code.calls_share_workspace and not planted.task().calls_share_workspace
    calls = [
        Call("read_file", {"path": "stats.py"}, "def median(xs):\n    return sorted(xs)[len(xs) // 2]\n"),
        Call("run_tests", {"tests": ["tests/test_stats.py"]}, {"exit_code": 1, "output": "2 failed"}),
    ]
    traj = _trajectory(calls)
    assert check_rules(traj, code, RulesConfig()).passed
    flagged = check_rules(traj, planted.task(), RulesConfig())
    assert "unrelated_call" in _codes(flagged), flagged.reason
