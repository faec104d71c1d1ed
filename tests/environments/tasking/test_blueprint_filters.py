"""Filters a blueprint draws from the world for one call come from one record, so the call finds
something; a search takes a word a person would search by, not "for"."""

from __future__ import annotations

import random

from environments.episodes.executors.semantics import semantics
from environments.tasking.blueprints import draw_arguments
from toolforge.core.types import ToolAnnotations, ToolSpec

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
        annotations=ToolAnnotations(read_only=True),
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
        annotations=ToolAnnotations(read_only=True),
        source="mcp",
    )
    queries = {
        draw_arguments(tool, TICKETS, [], random.Random(seed)).arguments["query"] for seed in range(200)
    }
    assert queries and not queries & {"for", "the", "a", "after"}
    assert {"Charged", "twice", "invoice", "VPN", "dashboard"} <= queries


def test_a_new_comment_does_not_copy_the_comments_a_read_listed() -> None:
    add_comment = ToolSpec(
        name="add_comment",
        description="Add a reply to a ticket.",
        input_schema={
            "type": "object",
            "properties": {"ticket_id": {"type": "string"}, "body": {"type": "string"}},
            "required": ["ticket_id", "body"],
        },
        source="mcp",
    )
    get_ticket = ToolSpec(
        name="get_ticket",
        input_schema={"type": "object", "properties": {"ticket_id": {"type": "string"}}},
        annotations=ToolAnnotations(read_only=True),
        source="mcp",
    )
    old = {"id": "cmt_0101", "ticket_id": "tkt_0001", "body": "Refund of the second payment pending."}
    read = {"id": "tkt_0001", "subject": "Charged twice", "comments": [old]}
    for seed in range(20):
        step = draw_arguments(add_comment, TICKETS, [(semantics(get_ticket), read)], random.Random(seed))
        assert step.arguments["ticket_id"] == "tkt_0001" and step.sources["ticket_id"] == "result"
        assert step.arguments["body"] != old["body"] and step.sources["body"] == "user"


def test_a_call_that_takes_something_out_takes_what_the_record_holds() -> None:
    tickets = {
        "tickets": {
            "tkt_0001": {"id": "tkt_0001", "subject": "VPN drops", "tags": ["vpn", "network"]},
            "tkt_0002": {"id": "tkt_0002", "subject": "Login fails", "tags": ["login"]},
        }
    }
    untag = ToolSpec(
        name="untag_ticket",
        description="Remove a tag from a ticket.",
        input_schema={
            "type": "object",
            "properties": {"ticket_id": {"type": "string"}, "tag": {"type": "string"}},
            "required": ["ticket_id", "tag"],
        },
        source="mcp",
    )
    for seed in range(30):
        step = draw_arguments(untag, tickets, [], random.Random(seed))
        held = tickets["tickets"][step.arguments["ticket_id"]]["tags"]
        assert step.arguments["tag"] in held and step.sources["tag"] == "state", step.arguments
