"""The world model keeps the schema simulator's entity store: its prompt holds the records the call
touches, and its answers go back through the same CRUD rules, so a later deterministic read agrees."""

from __future__ import annotations

import copy
from typing import Any

from world_tools import shop_tools

from environments.episodes.executors.schema_sim import SchemaSimulator
from environments.episodes.executors.world_model import MAX_RECORDS, SimulatedCall, ground, world_view
from environments.episodes.state import Delete, State, Upsert
from toolforge.core.types import ToolSpec


def _by_name(tools: list[ToolSpec]) -> dict[str, ToolSpec]:
    return {t.name: t for t in tools}


def _answer(
    result: Any = None, upserts: list[Upsert] | None = None, deletes: list[Delete] | None = None
) -> SimulatedCall:
    return SimulatedCall(result=result, upserts=upserts or [], deletes=deletes or [])


def _ticket_state() -> State:
    return {"tickets": {"ticket_0001": {"id": "ticket_0001", "title": "Printer jam", "status": "open"}}}


def test_a_read_shows_the_stored_record_and_keeps_what_the_model_adds(tickets: list[ToolSpec]) -> None:
    t = _by_name(tickets)
    state = _ticket_state()
    model = {"id": "ticket_0001", "title": "WRONG", "status": "closed", "priority": "high"}
    out = ground(t["get_ticket"], {"ticket_id": "ticket_0001"}, state, _answer(model), "ok")
    assert out.structured["title"] == "Printer jam" and out.structured["status"] == "open"  # the store wins
    assert out.structured["priority"] == "high" and state["tickets"]["ticket_0001"]["priority"] == "high"
    # a later deterministic read agrees with what the model said, and re-reads are equal
    first = SchemaSimulator().run(t["get_ticket"], {"ticket_id": "ticket_0001"}, state)
    second = SchemaSimulator().run(t["get_ticket"], {"ticket_id": "ticket_0001"}, state)
    assert first.structured == out.structured and first.content == second.content


def test_a_read_does_not_write_whatever_the_model_proposes(tickets: list[ToolSpec]) -> None:
    t = _by_name(tickets)
    state = _ticket_state()
    before = copy.deepcopy(state)
    answer = _answer(
        {"id": "ticket_0001", "title": "Printer jam", "status": "open"},
        upserts=[Upsert(collection="tickets", id="ticket_0001", record={"status": "closed"})],
        deletes=[Delete(collection="tickets", id="ticket_0001")],
    )
    out = ground(t["get_ticket"], {"ticket_id": "ticket_0001"}, state, answer, "edge")
    assert not out.is_error and set(state) == set(before)
    stored = state["tickets"]["ticket_0001"]  # not deleted, and nothing it held has changed
    assert {k: stored[k] for k in before["tickets"]["ticket_0001"]} == before["tickets"]["ticket_0001"]


def test_unknown_ids_are_not_found_in_kinds_the_world_keeps(tickets: list[ToolSpec]) -> None:
    t = _by_name(tickets)
    state = _ticket_state()
    out = ground(t["get_ticket"], {"ticket_id": "ticket_0042"}, state, _answer({"id": "ticket_0042"}), "ok")
    assert out.is_error and out.content == "no ticket with id ticket_0042; list tickets to find ids"
    assert "ticket_0042" not in state["tickets"]
    # a kind the world does not keep yet: what the model says is remembered, and reads agree
    agent = ground(t["get_assignee"], {"assignee_id": "agent_7"}, state, _answer({"name": "Mei Kim"}), "ok")
    assert agent.structured["name"] == "Mei Kim" and state["assignees"]["agent_7"]["name"] == "Mei Kim"
    again = SchemaSimulator().run(t["get_assignee"], {"assignee_id": "agent_7"}, state)
    assert again.structured == agent.structured


def test_a_create_stores_the_call_and_the_model_cannot_overwrite_records(tickets: list[ToolSpec]) -> None:
    t = _by_name(tickets)
    state = _ticket_state()
    answer = _answer(
        {"id": "ticket_0001", "title": "something else", "status": "open"},  # an id already taken
        upserts=[
            Upsert(collection="tickets", id="ticket_0001", record={"title": "hijacked"}),
            Upsert(collection="_seq", id="ticket", record={"n": 99}),  # bookkeeping: never written
        ],
    )
    out = ground(t["create_ticket"], {"title": "VPN access", "priority": "high"}, state, answer, "ok")
    new_id = out.structured["id"]
    assert new_id == "ticket_0002" and state["tickets"]["ticket_0001"]["title"] == "Printer jam"
    assert (
        state["tickets"][new_id]["title"] == "VPN access" and state["tickets"][new_id]["priority"] == "high"
    )
    assert state["_seq"] == {"ticket": 2}
    read = SchemaSimulator().run(t["get_ticket"], {"ticket_id": new_id}, state)
    assert read.structured == out.structured


def test_an_update_changes_what_it_sets_and_side_effects_reach_other_records() -> None:
    t = _by_name(shop_tools())
    state: State = {
        "orders": {
            "order_0001": {"id": "order_0001", "customer_id": "customer_0001", "notes": "", "lines": []}
        },
        "customers": {"customer_0001": {"id": "customer_0001", "name": "Ada Lovelace", "credit": 0}},
    }
    answer = _answer(
        {"id": "order_0001", "notes": "model's notes", "status": "shipped"},
        upserts=[
            Upsert(
                collection="orders", id="order_0001", record={"notes": "model's notes", "status": "shipped"}
            ),
            Upsert(collection="customers", id="customer_0001", record={"credit": 5}),
        ],
    )
    args = {"order_id": "order_0001", "notes": "Ring the bell."}
    out = ground(t["update_order"], args, state, answer, "ok")
    order = state["orders"]["order_0001"]
    assert order["notes"] == "Ring the bell." and out.structured["notes"] == "Ring the bell."  # the call wins
    assert state["customers"]["customer_0001"] == {"id": "customer_0001", "name": "Ada Lovelace", "credit": 5}
    read = SchemaSimulator().run(t["get_order"], {"order_id": "order_0001"}, state)
    assert read.structured == out.structured


def test_a_list_shows_stored_records_only_in_the_models_order(tickets: list[ToolSpec]) -> None:
    t = _by_name(tickets)
    state = _ticket_state()
    state["tickets"]["ticket_0002"] = {"id": "ticket_0002", "title": "Slow dashboard", "status": "open"}
    listed = {"tickets": [{"id": "ticket_0002"}, {"id": "ticket_9999", "title": "invented"}], "count": 2}
    out = ground(t["list_tickets"], {}, state, _answer(listed), "partial")
    assert [x["id"] for x in out.structured["tickets"]] == ["ticket_0002"] and out.structured["count"] == 1
    assert "ticket_9999" not in state["tickets"]


def test_an_error_outcome_changes_nothing(tickets: list[ToolSpec]) -> None:
    t = _by_name(tickets)
    state = _ticket_state()
    answer = _answer(upserts=[Upsert(collection="tickets", id="ticket_0001", record={"status": "closed"})])
    out = ground(t["close_ticket"], {"ticket_id": "ticket_0001", "resolution": "x"}, state, answer, "error")
    assert out.is_error and state == _ticket_state()


def test_the_prompt_holds_the_records_the_call_names(tickets: list[ToolSpec]) -> None:
    t = _by_name(tickets)
    many = {
        f"ticket_{n:04d}": {"id": f"ticket_{n:04d}", "title": f"Ticket {n}"}
        for n in range(1, MAX_RECORDS + 10)
    }
    state: State = {"tickets": many, "assignees": {"agent_7": {"id": "agent_7", "name": "Mei Kim"}}}
    late = f"ticket_{MAX_RECORDS + 5:04d}"
    view = world_view(t["assign_ticket"], {"ticket_id": late, "assignee_id": "agent_7"}, state)
    assert late in view["tickets"] and len(view["tickets"]) == MAX_RECORDS
    assert view["assignees"] == {"agent_7": {"id": "agent_7", "name": "Mei Kim"}}
    other = world_view(t["create_ticket"], {"title": "x", "priority": "low"}, {**state, "users": {"u1": {}}})
    assert other["users"] == {"ids": ["u1"]}
