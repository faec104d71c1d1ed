"""A draft-07 tool is read as draft-07 everywhere: at import, when a call is executed, and when the
call is judged — one prepared validator, not three that disagree."""

from __future__ import annotations

import json
from typing import Any

from environments.episodes.executors.validate import validate_arguments
from judges import RulesConfig, check_rules
from toolforge.core.llm.actions import assistant_message
from toolforge.core.types import Message, ToolSpec, Trajectory
from toolforge.tools.validate import rejection

PAIR = ToolSpec(
    name="pairs.set",
    description="Stores a (label, count) pair.",
    input_schema={
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}},
        "required": ["pair"],
    },
    source="catalog",
)


def judged(arguments: dict[str, Any]) -> set[str]:
    call = assistant_message(2, None, [(PAIR.name, json.dumps(arguments))])
    assert call.tool_calls is not None
    messages = [
        Message(role="system", content="You store pairs."),
        Message(role="user", content="Store apples, 3."),
        call,
        Message(role="tool", tool_call_id=call.tool_calls[0].id, name=PAIR.name, content='{"ok": true}'),
        Message(role="assistant", content="Stored apples with 3."),
    ]
    traj = Trajectory(
        task_id="t",
        agent_id="a",
        attempt=0,
        messages=messages,
        tools=[PAIR.openai_function()],
        end_reason="user_stop",
    )
    result = check_rules(traj, None, RulesConfig())
    return {v["code"] for v in result.details["violations"]}


def test_import_execution_and_judging_read_the_same_dialect() -> None:
    assert rejection(PAIR) is None  # tuple `items` is legal draft-07 (2020-12 would refuse the schema)
    good, bad = {"pair": ["apples", 3]}, {"pair": [3, "apples"]}
    assert validate_arguments(PAIR, good) == []
    assert validate_arguments(PAIR, bad) == [
        "pair/0: 3 is not of type 'string'",
        "pair/1: 'apples' is not of type 'integer'",
    ]
    assert not judged(good) & {"invalid_arguments", "invalid_schema"}
    assert "invalid_arguments" in judged(bad)
