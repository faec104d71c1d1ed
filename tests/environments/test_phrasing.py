"""The blueprint's words: finals report outcomes without naming tools; a second value of one
argument is asked for by what it belongs to."""

from __future__ import annotations

import random

from environments.blueprints import Built, Step
from environments.phrasing import final_reply
from toolforge.core.types import ToolSpec
from toolforge.core.values import Hint, string_value


def test_final_replies_name_no_tool_and_use_the_result() -> None:
    result = {"id": "evt_0105", "title": "Onboarding: Katherine", "status": "confirmed"}
    for key in range(20):
        for wrote in (True, False):
            reply = final_reply("update_event", result, wrote, key)
            assert "update event" not in reply and "update_event" not in reply
            assert "evt_0105" in reply


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


def test_titles_never_repeat_a_word_of_their_subject() -> None:
    rng = random.Random(7)
    hint = Hint(name="title", entity="event", domain="events")
    for _ in range(300):
        title = string_value({"type": "string"}, rng, hint).lower().split()
        assert all(a != b for a, b in zip(title, title[1:], strict=False)), title
