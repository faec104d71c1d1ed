"""Core types: exact JSON round trips and ids that depend on content only."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from toolforge.core.types import (
    Agent,
    Blueprint,
    CheckResult,
    ExpectedCall,
    Message,
    Rubric,
    Task,
    ToolAnnotations,
    ToolCall,
    ToolSpec,
    Trajectory,
    Usage,
    UserGoal,
    Verdict,
)


def make_tool(name: str = "create_event") -> ToolSpec:
    return ToolSpec(
        name=name,
        description="Create a calendar event.",
        input_schema={
            "type": "object",
            "properties": {"title": {"type": "string"}, "day": {"type": "string", "format": "date"}},
            "required": ["title"],
        },
        output_schema={"type": "object", "properties": {"event_id": {"type": "string"}}},
        annotations=ToolAnnotations(read_only=False, destructive=False, idempotent=False),
        source="mcp",
        origin="calendar",
        raw={"name": name, "inputSchema": {"type": "object"}},
    )


def make_task() -> Task:
    return Task(
        agent_id="agent_x",
        user_goal=UserGoal(description="Book lunch with Ana on Friday", known_facts={"day": "2026-12-04"}),
        difficulty="multi_call",
        rubric=Rubric(
            success_criteria=["an event titled Lunch exists on 2026-12-04"],
            expected_tool_pattern=[ExpectedCall(name="create_event", arguments={"day": "2026-12-04"})],
            checkpoints=["asks which day if unknown"],
        ),
        initial_state={"events": {}},
        blueprint=Blueprint(actions=[ExpectedCall(name="create_event", arguments={"title": "Lunch"})]),
    )


def make_trajectory() -> Trajectory:
    call = ToolCall.make("call_0", "create_event", {"title": "Lunch", "day": "2026-12-04"})
    return Trajectory(
        task_id="task_1",
        agent_id="agent_x",
        attempt=0,
        messages=[
            Message(role="system", content="You manage calendars."),
            Message(role="user", content="Book lunch with Ana on Friday."),
            Message(role="assistant", content=None, tool_calls=[call]),
            Message(role="tool", tool_call_id="call_0", content='{"event_id": "e1"}'),
            Message(role="assistant", content="Done: e1."),
        ],
        tools=[make_tool().openai_function()],
        models={"agent": "openai/gpt-x"},
        usage=Usage(calls=2, prompt_tokens=100, completion_tokens=20, cost_usd=0.001),
        end_reason="user_stop",
        final_state={"events": {"e1": {"title": "Lunch"}}},
    )


@pytest.mark.parametrize(
    "record",
    [
        make_tool(),
        make_task(),
        make_trajectory(),
        Agent(name="cal", system_prompt="You help.", tool_ids=["tool_a"], tool_names=["a"]),
        Verdict(
            trajectory_id="t",
            checks=[CheckResult(check="rules", passed=True, score=1.0)],
            score=1.0,
            accepted=True,
        ),
    ],
    ids=lambda r: type(r).__name__,
)
def test_json_round_trip_is_exact(record) -> None:
    text = record.to_json()
    again = type(record).from_json(text)
    assert again == record
    assert again.to_json() == text
    assert again.id == record.id


def test_ids_depend_on_content_only() -> None:
    assert make_task().id == make_task().id
    other = make_task().model_copy(update={"seed": 1})
    assert other.id != make_task().id
    assert make_tool().id == make_tool().id
    assert make_tool("b").id != make_tool().id


def test_fingerprint_ignores_description_but_not_schema() -> None:
    tool = make_tool()
    reworded = tool.model_copy(update={"description": "Adds an event."})
    assert reworded.fingerprint == tool.fingerprint
    changed = tool.model_copy(update={"input_schema": {"type": "object", "properties": {}}})
    assert changed.fingerprint != tool.fingerprint


def test_unknown_keys_are_errors() -> None:
    with pytest.raises(ValidationError, match="extra"):
        ToolSpec.model_validate({"name": "x", "input_schema": {}, "source": "mcp", "colour": "red"})


def test_openai_message_form_leaves_out_our_flags() -> None:
    message = Message(role="tool", tool_call_id="c1", content="boom", is_error=True)
    assert message.openai() == {"role": "tool", "tool_call_id": "c1", "content": "boom"}
    call = make_trajectory().messages[2]
    assert call.openai()["content"] is None
    assert call.tool_calls[0].parsed_arguments() == {"title": "Lunch", "day": "2026-12-04"}


def test_tool_call_arguments_must_be_an_object() -> None:
    call = ToolCall(id="c", function={"name": "f", "arguments": "[1, 2]"})
    with pytest.raises(ValueError, match="not a JSON object"):
        call.parsed_arguments()
