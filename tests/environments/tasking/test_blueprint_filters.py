"""Filters a blueprint draws from the world for one call come from one record, so the call finds
something; a search takes a word a person would search by, not "for"."""

from __future__ import annotations

import random

from environments.tasking.blueprints import draw_arguments
from toolforge.core.types import ToolSpec

_OPTIONAL = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
TICKETS = {
    "tickets": {
        f"tkt_{n:04d}": {"id": f"tkt_{n:04d}", "subject": subject, "status": status, "priority": priority}
        for n, (subject, status, priority) in enumerate(
            [
                ("Charged twice for the invoice", "open", "urgent"),
                ("Login fails after a reset", "pending", "low"),
                ("VPN drops every hour", "solved", "normal"),
                ("Dark mode for the dashboard", "closed", "high"),
            ],
            start=1,
        )
    }
}


def test_the_filters_of_one_list_call_are_drawn_from_one_record() -> None:
    tool = ToolSpec(
        name="list_tickets",
        description="List tickets filtered by status and priority.",
        input_schema={"type": "object", "properties": {"status": _OPTIONAL, "priority": _OPTIONAL}},
        annotations={"read_only": True},
        source="mcp",
    )
    pairs = {(t["status"], t["priority"]) for t in TICKETS["tickets"].values()}
    for seed in range(100):
        step = draw_arguments(tool, TICKETS, [], random.Random(seed))
        assert (step.arguments["status"], step.arguments["priority"]) in pairs, step.arguments


def test_a_search_takes_a_word_of_a_name_that_is_no_stopword() -> None:
    tool = ToolSpec(
        name="search_tickets",
        description="Find tickets by words of their subject.",
        input_schema={"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
        annotations={"read_only": True},
        source="mcp",
    )
    queries = {
        draw_arguments(tool, TICKETS, [], random.Random(seed)).arguments["query"] for seed in range(200)
    }
    assert queries and not queries & {"for", "the", "a", "after"}
    assert {"Charged", "twice", "invoice", "VPN", "dashboard"} <= queries
