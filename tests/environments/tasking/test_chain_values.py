"""A later step of a chain names what the earlier ones named: the calendar the slots were found
on, the day of an earlier start, an event of that calendar, the moved event's own length; and an
update's goal says what it changes."""

from __future__ import annotations

import random
from typing import Any

from environments.episodes import phrasing
from environments.episodes.executors.semantics import semantics
from environments.tasking.blueprints import draw_arguments
from environments.tasking.chain_values import day_of_earlier, fit_span, in_scope
from toolforge.core.types import ToolSpec

S = {"type": "string"}
NULLABLE = {"anyOf": [S, {"type": "null"}], "default": None}


def _tool(name: str, props: dict[str, Any], required: list[str]) -> ToolSpec:
    return ToolSpec(
        name=name, input_schema={"type": "object", "properties": props, "required": required}, source="mcp"
    )


CREATE = _tool(
    "create_event",
    {"calendar_id": S, "title": S, "start": S, "end": S},
    ["calendar_id", "title", "start", "end"],
)
UPDATE = _tool("update_event", {"event_id": S, "start": NULLABLE, "end": NULLABLE}, ["event_id"])
SLOTS = {"day": "2026-12-03", "slots": [{"start": "2026-12-03T09:00", "end": "2026-12-03T15:00"}]}
WORLD = {
    "calendars": {c: {"id": c} for c in ("cal_home", "cal_team", "cal_work")},
    "events": {
        "evt_0101": {
            "id": "evt_0101",
            "calendar_id": "cal_home",
            "start": "2026-12-02T08:30",
            "end": "2026-12-02T09:15",
        },
        "evt_0103": {
            "id": "evt_0103",
            "calendar_id": "cal_team",
            "start": "2026-12-03T15:00",
            "end": "2026-12-03T16:00",
        },
        "evt_0105": {
            "id": "evt_0105",
            "calendar_id": "cal_team",
            "start": "2026-12-07T10:00",
            "end": "2026-12-07T11:30",
        },
    },
}
FIND = _tool("find_free_slots", {"calendar_id": S, "day": S}, ["calendar_id", "day"])


def test_an_event_is_created_on_the_calendar_its_slot_was_found_on_for_an_hour() -> None:
    earlier = [({"calendar_id": "cal_team", "day": "2026-12-03"}, {"calendar_id": "user", "day": "user"})]
    for seed in range(30):
        step = draw_arguments(CREATE, WORLD, [(semantics(FIND), SLOTS)], random.Random(seed), earlier=earlier)
        assert step.arguments["calendar_id"] == "cal_team", seed
        assert (step.arguments["start"], step.arguments["end"]) == ("2026-12-03T09:00", "2026-12-03T10:00")


def test_the_event_moved_into_a_slot_belongs_to_that_calendar_and_keeps_its_length() -> None:
    earlier = [({"calendar_id": "cal_team", "day": "2026-12-03"}, {"calendar_id": "user", "day": "user"})]
    moved = set()
    for seed in range(30):
        step = draw_arguments(UPDATE, WORLD, [(semantics(FIND), SLOTS)], random.Random(seed), earlier=earlier)
        event = WORLD["events"][step.arguments["event_id"]]
        assert event["calendar_id"] == "cal_team", step.arguments
        if step.arguments.get("start") == "2026-12-03T09:00":
            moved.add(step.arguments["event_id"])
            length = {"evt_0103": "2026-12-03T10:00", "evt_0105": "2026-12-03T10:30"}
            assert step.arguments["end"] == length[step.arguments["event_id"]]
    assert moved


def test_a_day_is_the_day_of_the_event_read_before() -> None:
    event = WORLD["events"]["evt_0103"]
    assert day_of_earlier("day", [event], []) == (True, "2026-12-03", "result")
    assert day_of_earlier("day", [], [({"start": "2026-12-02T08:30"}, {"start": "user"})])[1] == "2026-12-02"
    assert day_of_earlier("title", [event], [])[0] is False


def test_records_in_scope_and_spans_left_alone_when_the_user_gave_them() -> None:
    events = list(WORLD["events"].values())
    assert [e["id"] for e in in_scope(events, {"calendar_id": "cal_home"})] == ["evt_0101"]
    assert in_scope(events, {"calendar_id": "cal_nowhere"}) == events  # nothing fits: any record
    args = {"start": "2026-12-03T09:00", "end": "2026-12-03T15:00"}
    fit_span(args, {"start": "user", "end": "user"}, None, [])
    assert args["end"] == "2026-12-03T15:00"


def test_an_update_goal_says_what_changes() -> None:
    before = {
        "id": "evt_0002",
        "title": "Design review",
        "start": "2026-12-01T14:00",
        "end": "2026-12-01T15:30",
    }
    moved = {"event_id": "evt_0002", "start": "2026-12-03T10:00", "end": "2026-12-03T11:30"}
    said = phrasing.change(moved, dict.fromkeys(moved, "user"), before, "event_id")
    assert said == "move “Design review” (evt_0002) to 2026-12-03T10:00, ending 2026-12-03T11:30"
    found = phrasing.change(
        moved, {"event_id": "user", "start": "result", "end": "result"}, before, "event_id"
    )
    assert found == "move “Design review” (evt_0002) to the first free slot on 2026-12-03"
    note = {"id": "note_0002", "title": "Q4 goals", "body": "ship it"}
    renamed = {"note_id": "note_0002", "title": "Goals for Q4", "body": "ship it"}
    assert phrasing.change(renamed, {}, note, "note_id") == "rename “Q4 goals” (note_0002) to “Goals for Q4”"
    assert phrasing.change({"note_id": "note_0002", "title": "Q4 goals"}, {}, note, "note_id") is None


def test_a_clarification_goal_says_what_changes_but_keeps_the_values_back() -> None:
    note = {"id": "note_0002", "title": "Q4 goals", "body": "ship it"}
    renamed = {"note_id": "note_0002", "title": "Goals for Q4"}
    said = phrasing.change(renamed, dict.fromkeys(renamed, "user"), note, "note_id", told={})
    assert said == "rename the note “Q4 goals”"
    assert "note_0002" not in said and "Goals for Q4" not in said
