"""Final replies: they answer the request in words (what was looked up or changed, with the filters
the user gave), quote only what the conversation showed, use the last result, name no tool, and
read differently for different content. The calls run on the example servers' real worlds."""

from __future__ import annotations

import asyncio
import json
from types import ModuleType
from typing import Any

from mcp import Client

from environments.episodes.finals import Step, final_reply, past
from examples.mcp_servers import agenda, helpdesk, shop, travel, workspace
from judges.audit import mask, parse_row, ungrounded_final
from toolforge.tools.convert import from_wire


def run(server: ModuleType, *calls: tuple[str, dict[str, Any]]) -> tuple[list[Step], str]:
    """The calls made in order on a fresh world of `server`: their steps, and the results' text."""

    async def go() -> tuple[list[Step], str]:
        async with Client(server.build(None)) as client:
            page = await client.list_tools()
            tools = {
                t.name: from_wire(t.model_dump(by_alias=True, exclude_none=True), source="mcp", origin="x")
                for t in page.tools
            }
            steps = []
            for name, arguments in calls:
                out = await client.call_tool(name, arguments)
                assert not out.is_error, out.content
                steps.append(Step(tools[name], arguments, out.structured_content))
        return steps, "\n".join(json.dumps(s.result) for s in steps)

    return asyncio.run(go())


def grounded(reply: str, seen: str) -> None:
    """The audit's own test: every id and number of the reply occurs in what was shown."""
    row = parse_row(
        {"messages": [{"role": "user", "content": seen}, {"role": "assistant", "content": reply}]}
    )
    assert ungrounded_final([row]).hits == 0, reply


def test_a_read_says_what_the_record_is_and_names_no_tool() -> None:
    steps, results = run(shop, ("get_order", {"order_id": "ord_0905"}))
    seen = "Please check order ord_0905.\n" + results
    for key in range(12):
        reply = final_reply(steps, key, seen, style="precise and detail-oriented")
        assert "order ord_0905" in reply.lower() and "delivered" in reply and "9100 cents" in reply
        assert "get_order" not in reply and "get order" not in reply.lower()
        assert reply == final_reply(steps, key, seen, style="precise and detail-oriented")  # reproducible
        grounded(reply, seen)


def test_the_users_style_sets_how_much_detail_a_reply_gives() -> None:
    steps, results = run(shop, ("get_order", {"order_id": "ord_0905"}))
    seen = "ord_0905\n" + results
    terse = final_reply(steps, "k", seen, style="terse")
    precise = final_reply(steps, "k", seen, style="precise")
    assert "9100 cents" in terse and "1 × prd_pan" not in terse
    assert "9100 cents" in precise and "1 × prd_pan" in precise and "1 × prd_blanket" in precise


def test_a_list_says_what_was_asked_for_and_what_came_back() -> None:
    steps, results = run(workspace, ("list_notes", {"tag": "work"}))
    reply = final_reply(steps, "k", "Show me my notes tagged work.\n" + results)
    assert "tagged work" in reply and "“Q4 goals” (note_0002)" in reply
    assert reply.startswith(
        ("I found 1 note", "There is 1 note", "1 note", "Here is the note", "Only one", "There is just")
    )

    steps, results = run(agenda, ("list_events", {"calendar_id": "cal_home"}))
    reply = final_reply(steps, "k", "cal_home\n" + results)
    assert "events for calendar cal_home" in reply
    assert "2 events" in reply or reply.startswith("Here are the events")
    assert "“Dentist” (evt_0101), on 2026-12-02 from 08:30 to 09:15" in reply


def test_an_empty_counted_list_quotes_its_count_and_the_filters() -> None:
    steps, results = run(shop, ("list_orders", {"customer_id": "cus_alan", "status": "delivered"}))
    seen = "Customer cus_alan wants their delivered orders.\n" + results
    replies = {final_reply(steps, key, seen) for key in range(30)}
    assert len(replies) >= 4  # a few phrasings, picked by the key
    for reply in replies:
        assert "0 delivered orders for customer cus_alan" in reply
        grounded(reply, seen)


def test_an_argument_the_conversation_never_showed_is_not_quoted() -> None:
    steps, results = run(shop, ("list_orders", {"customer_id": "cus_alan", "status": "delivered"}))
    reply = final_reply(steps, "k", results)  # the user never said cus_alan nor "delivered"
    assert "cus_alan" not in reply and "delivered" not in reply
    assert "0 orders" in reply


def test_a_write_says_what_was_done_to_which_record() -> None:
    steps, results = run(shop, ("cancel_order", {"order_id": "ord_0901"}))
    reply = final_reply(steps, "k", "Cancel order ord_0901.\n" + results, style="polite")
    assert "cancelled order ord_0901 for customer cus_grace" in reply and "4248 cents" in reply

    steps, results = run(agenda, ("add_attendee", {"event_id": "evt_0102", "email": "amara@example.com"}))
    reply = final_reply(steps, "k", "Add amara@example.com to evt_0102.\n" + results)
    assert "added amara@example.com to event “Dinner with Charles” (evt_0102)" in reply
    assert reply.count("attendees") <= 1  # what the call put in is said once

    steps, results = run(shop, ("request_refund", {"order_id": "ord_0902", "reason": "Arrived broken"}))
    reply = final_reply(steps, "k", "Refund ord_0902, it arrived broken: Arrived broken.\n" + results)
    assert "refund ref_0001 for order ord_0902" in reply and "reason Arrived broken" in reply


def test_a_setter_says_which_field_it_set_to_what() -> None:
    steps, results = run(helpdesk, ("set_ticket_priority", {"ticket_id": "tkt_0101", "priority": "low"}))
    reply = final_reply(steps, "k", "Make tkt_0101 low priority.\n" + results, style="precise")
    assert "set the priority of ticket" in reply and "(tkt_0101) to low" in reply, reply
    assert "set low on" not in reply and "priority is now low" not in reply, reply
    grounded(reply, "Make tkt_0101 low priority.\n" + results)


def test_a_reference_reads_by_the_name_an_earlier_result_gave_it() -> None:
    steps, results = run(
        shop,
        ("search_products", {"query": "lamp"}),
        ("add_to_cart", {"customer_id": "cus_ada", "product_id": "prd_lamp", "quantity": 2}),
    )
    reply = final_reply(steps, "k", "I'm cus_ada and want 2 lamps.\n" + results)
    assert "added 2 × Desk lamp LED (prd_lamp) to the cart for customer cus_ada" in reply
    assert "5198 cents" in reply


def test_a_read_after_a_change_leads_with_the_change_and_does_not_repeat_it() -> None:
    steps, results = run(
        agenda, ("cancel_event", {"event_id": "evt_0103"}), ("get_event", {"event_id": "evt_0103"})
    )
    for key in range(10):
        reply = final_reply(steps, key, "Cancel evt_0103.\n" + results)
        assert reply.startswith("I've cancelled event “Sprint demo” (evt_0103)")
        assert "is now cancelled" not in reply and "2026-12-03 from 15:00 to 16:00" in reply


def test_a_change_then_a_look_elsewhere_reports_both() -> None:
    steps, results = run(
        agenda,
        ("cancel_event", {"event_id": "evt_0002"}),
        ("find_free_slots", {"calendar_id": "cal_work", "day": "2026-12-01", "day_end_hour": 12}),
    )
    reply = final_reply(steps, "k", "Cancel evt_0002 on cal_work.\n" + results)
    assert reply.startswith("I've cancelled event “Design review” (evt_0002)")
    assert (
        "free slot" in reply and "for calendar cal_work on 2026-12-01" in reply and "10:00 to 12:00" in reply
    )


def test_different_records_read_differently_once_ids_and_numbers_are_masked() -> None:
    """The audit's distinct-finals figure: content, not the key, tells the replies apart."""
    replies = []
    for event in ("evt_0001", "evt_0002", "evt_0101", "evt_0102", "evt_0103", "evt_0104", "evt_0105"):
        steps, results = run(agenda, ("get_event", {"event_id": event}))
        replies.append(final_reply(steps, "one key", event + "\n" + results))
    assert len({mask(r) for r in replies}) == len(replies)


def test_done_verbs() -> None:
    cases = {
        "ship": "shipped",
        "place": "placed",
        "write": "written",
        "tag": "tagged",
        "untag": "untagged",
        "resend": "resent",
        "remove": "removed",
        "rename": "renamed",
        "unlink": "unlinked",
        "add": "added",
        "cancel": "cancelled",
        "submit": "submitted",
        "apply": "applied",
        "open": "opened",
        "request": "requested",
        "append": "appended",
    }
    assert {verb: past(verb) for verb in cases} == cases


def test_a_reply_ending_in_a_quoted_sentence_has_one_full_stop() -> None:
    steps, results = run(
        workspace, ("update_note", {"note_id": "note_0101", "body": "Call the plumber on Monday."})
    )
    reply = final_reply(steps, "a", "Change note_0101 to: Call the plumber on Monday.\n" + results, "terse")
    assert reply.endswith("its body is now “Call the plumber on Monday.”"), reply


def test_a_new_title_is_said_once() -> None:
    steps, results = run(workspace, ("update_note", {"note_id": "note_0101", "title": "Trip plan"}))
    for key in "abcdef":
        reply = final_reply(steps, key, "Rename note_0101 to Trip plan.\n" + results, "precise")
        assert reply.count("Trip plan") == 1, reply


def test_a_new_record_of_another_kind_is_named_by_its_own_kind() -> None:
    steps, results = run(
        travel, ("book_flight", {"traveller_id": "trv_bruno", "flight_id": "flt_0106", "cabin": "premium"})
    )
    reply = final_reply(steps, "k", "Book flt_0106 for trv_bruno, premium.\n" + results, "brief")
    booking = steps[0].result["id"]
    assert f"booked flight flt_0106 as booking {booking}" in reply, reply
    grounded(reply, "Book flt_0106 for trv_bruno, premium.\n" + results)
