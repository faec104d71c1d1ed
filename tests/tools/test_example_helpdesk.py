"""The helpdesk example server keeps real state: tickets flow from open to closed, its rules hold
with errors that name the fix, the state file persists and a new file is a new world, and a
harvest over stdio sees every tool with an output schema and annotations."""

from __future__ import annotations

import json
from pathlib import Path

from mcp import Client

from examples.mcp_servers import helpdesk
from toolforge_testing.example_tools import call_tool as call
from toolforge_testing.example_tools import harvest_example_server

REPO = Path(__file__).resolve().parents[2]


async def test_a_ticket_from_opening_to_closed_and_the_state_file(tmp_path: Path) -> None:
    state = tmp_path / "helpdesk.json"
    async with Client(helpdesk.build(state)) as c:
        err, new = await call(
            c,
            "create_ticket",
            {
                "subject": "Invoices page is blank",
                "description": "The invoices page shows a blank screen since Monday. I use Firefox.",
                "requester_email": "ada.lovelace@example.com",
                "priority": "high",
                "tags": ["billing", "web"],
            },
        )
        assert not err and new["id"] == "tkt_0201" and new["status"] == "open" and new["assignee_id"] is None
        assert new["created_on"] == "2026-03-16"
        err, ticket = await call(c, "assign_ticket", {"ticket_id": "tkt_0201", "agent_id": "agt_sofia"})
        assert not err and ticket["assignee_id"] == "agt_sofia"
        err, note = await call(
            c,
            "add_comment",
            {"ticket_id": "tkt_0201", "body": "Reproduced on staging.", "visibility": "internal"},
        )
        assert not err and note["id"] == "cmt_0201" and note["author"] == "agt_sofia"
        err, text = await call(c, "set_ticket_status", {"ticket_id": "tkt_0201", "status": "solved"})
        assert err and "no public reply" in text and "add_comment" in text  # an internal note is no reply
        body = "We fixed the invoices page. Please reload it and tell us if it is still blank."
        err, reply = await call(c, "add_comment", {"ticket_id": "tkt_0201", "body": body})
        assert not err and reply["visibility"] == "public" and reply["body"] == body
        assert (await call(c, "set_ticket_status", {"ticket_id": "tkt_0201", "status": "solved"}))[1][
            "status"
        ] == "solved"
        assert (await call(c, "set_ticket_status", {"ticket_id": "tkt_0201", "status": "closed"}))[1][
            "status"
        ] == "closed"
        err, text = await call(c, "set_ticket_priority", {"ticket_id": "tkt_0201", "priority": "low"})
        assert err and "closed" in text and "create_ticket" in text
        err, detail = await call(c, "get_ticket", {"ticket_id": "tkt_0201"})
        assert not err and [x["id"] for x in detail["comments"]] == ["cmt_0201", "cmt_0202"]
        sofia = (await call(c, "list_agents", {"team": "technical", "available_only": True}))[1]["agents"]
        assert {a["id"]: a["open_tickets"] for a in sofia} == {"agt_omar": 1, "agt_sofia": 1}
    saved = json.loads(state.read_text())
    assert saved["tickets"]["tkt_0201"]["status"] == "closed" and len(saved["comments"]) == 8
    async with Client(helpdesk.build(state)) as c:  # a new process on the same file sees the same world
        assert (await call(c, "search_tickets", {"query": "invoices blank"}))[1]["count"] == 1
    async with Client(helpdesk.build(tmp_path / "other.json")) as c:  # another file is another world
        assert (await call(c, "search_tickets", {"query": "invoices blank"}))[1]["count"] == 0
        assert (await call(c, "get_ticket", {"ticket_id": "tkt_0201"}))[0]


async def test_rules_fail_with_errors_that_name_the_fix() -> None:
    async with Client(helpdesk.build(None)) as c:
        err, text = await call(c, "get_ticket", {"ticket_id": "tkt_1010"})
        assert err and "unknown ticket 'tkt_1010'" in text and "search_tickets" in text
        err, text = await call(c, "assign_ticket", {"ticket_id": "tkt_0105", "agent_id": "agt_elena"})
        assert err and "away" in text and "available_only=true" in text
        err, text = await call(c, "assign_ticket", {"ticket_id": "tkt_0105", "agent_id": "agt_pryia"})
        assert err and "list_agents" in text
        err, text = await call(c, "set_ticket_status", {"ticket_id": "tkt_0101", "status": "closed"})
        assert err and "only solved tickets can be closed" in text
        err, text = await call(c, "set_ticket_status", {"ticket_id": "tkt_0101", "status": "open"})
        assert err and "already open" in text  # a write that changes nothing is refused
        err, text = await call(c, "add_comment", {"ticket_id": "tkt_0107", "body": "Any news?"})
        assert err and "closed" in text and "create_ticket" in text
        err, text = await call(c, "untag_ticket", {"ticket_id": "tkt_0102", "tag": "vpn"})
        assert err and "its tags are: billing, refund" in text
        err, text = await call(c, "list_tickets", {"created_after": "2026-02-30"})
        assert err and "not a valid date" in text and "YYYY-MM-DD" in text
        assert (await call(c, "tag_ticket", {"ticket_id": "tkt_0104", "tag": "Second Admin"}))[0]
        # a seeded solved ticket has its public reply and can be closed; a seeded open one cannot be solved
        assert (await call(c, "set_ticket_status", {"ticket_id": "tkt_0106", "status": "closed"}))[0] is False
        assert (await call(c, "set_ticket_status", {"ticket_id": "tkt_0104", "status": "solved"}))[0]


async def test_filters_agree_with_the_seeded_world() -> None:
    async with Client(helpdesk.build(None)) as c:
        found = (await call(c, "list_tickets", {"status": "open", "priority": "high"}))[1]
        assert [t["id"] for t in found["tickets"]] == ["tkt_0105", "tkt_0101"]
        assert "description" not in found["tickets"][0]  # lists stay short; get_ticket has the text
        assert (await call(c, "list_tickets", {"agent_id": "agt_priya", "tag": "billing"}))[1]["count"] == 2
        assert (await call(c, "list_tickets", {"created_after": "2026-03-12", "limit": 1}))[1]["count"] == 1
        assert [t["id"] for t in (await call(c, "search_tickets", {"query": "VPN"}))[1]["tickets"]] == [
            "tkt_0107"
        ]
        assert (await call(c, "untag_ticket", {"ticket_id": "tkt_0105", "tag": "bug"}))[1]["tags"] == [
            "mobile"
        ]


async def test_harvested_over_stdio_every_tool_has_an_output_schema_and_annotations(tmp_path: Path) -> None:
    tools = await harvest_example_server("helpdesk", tmp_path)
    assert len(tools) == 11
    assert {"create_ticket", "add_comment", "set_ticket_status", "untag_ticket"} <= set(tools)
    for tool in tools.values():
        assert tool.output_schema is not None, tool.name
        assert tool.raw is not None and "readOnlyHint" in tool.raw["annotations"], tool.name
    assert tools["list_tickets"].annotations.read_only and not tools["create_ticket"].annotations.read_only
    assert (
        tools["untag_ticket"].annotations.destructive
        and tools["create_ticket"].annotations.destructive is False
    )
    assert tools["add_comment"].input_schema["properties"]["visibility"]["enum"] == ["public", "internal"]
    assert json.loads((tmp_path / "helpdesk.json").read_text())["_counters"] == {"tkt": 200, "cmt": 200}
