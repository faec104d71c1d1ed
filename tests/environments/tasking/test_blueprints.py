"""Blueprint arguments: a second value of one argument is named by what it belongs to; an update
always changes something."""

from __future__ import annotations

import random

from environments.tasking.blueprints import Built, Step, draw_arguments
from toolforge.core.types import ToolSpec


def _step(tool: str, arguments: dict[str, str]) -> Step:
    spec = ToolSpec(name=tool, input_schema={"type": "object", "properties": {}}, source="mcp")
    return Step(tool=spec, arguments=arguments, sources=dict.fromkeys(arguments, "user"), result={})


def test_a_second_value_of_an_argument_is_named_by_its_object_not_its_tool() -> None:
    built = Built(
        steps=[
            _step("find_free_slots", {"calendar_id": "cal_team"}),
            _step("create_event", {"calendar_id": "cal_home"}),
        ],
        initial_state={},
        end_state={},
    )
    assert built.user_facts() == {"calendar_id": "cal_team", "calendar_id_for_the_event": "cal_home"}


def test_an_update_always_sets_something_even_when_its_fields_are_nullable() -> None:
    # shaped like the agenda server's update_event: every field it can change is `str | None`
    nullable = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    tool = ToolSpec(
        name="update_event",
        description="Change an event's title, time or location; unspecified fields keep their value.",
        input_schema={
            "type": "object",
            "properties": {"event_id": {"type": "string"}, "title": nullable, "location": nullable},
            "required": ["event_id"],
        },
        source="mcp",
    )
    for seed in range(200):
        step = draw_arguments(tool, {}, [], random.Random(seed), optional_p=0.0)
        changes = {k: v for k, v in step.arguments.items() if k != "event_id" and v is not None}
        assert changes, step.arguments
