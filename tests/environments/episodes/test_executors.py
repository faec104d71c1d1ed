"""The schema simulator, argument validation and the episode's error boundary."""

from __future__ import annotations

import copy

from jsonschema import Draft202012Validator

from environments.episodes.environment import ExecutorSet, ToolEnvironment
from environments.episodes.executors.schema_sim import SchemaSimulator
from environments.episodes.executors.semantics import semantics
from environments.episodes.state import Fault
from toolforge.core.types import ToolCall, ToolSpec


def _by_name(tools: list[ToolSpec]) -> dict[str, ToolSpec]:
    return {t.name: t for t in tools}


def test_semantics_are_read_from_names_and_ids(tickets: list[ToolSpec]) -> None:
    t = _by_name(tickets)
    assert (semantics(t["create_ticket"]).effect, semantics(t["create_ticket"]).kind) == ("create", "ticket")
    assert semantics(t["get_ticket"]).id_param == "ticket_id"
    assert semantics(t["list_tickets"]).effect == "list"
    assert (semantics(t["close_ticket"]).effect, semantics(t["close_ticket"]).kind) == ("delete", "ticket")
    assert semantics(t["assign_ticket"]).effect == "update"


def test_schema_simulator_is_stateful_and_outputs_conform(tickets: list[ToolSpec]) -> None:
    t = _by_name(tickets)
    sim = SchemaSimulator()
    state: dict = {}
    created = sim.run(t["create_ticket"], {"title": "printer jam", "priority": "high"}, state)
    assert not created.is_error
    tid = created.structured["id"]
    assert tid == "ticket_0001" and created.structured["title"] == "printer jam"
    Draft202012Validator(t["create_ticket"].output_schema).validate(created.structured)

    read = sim.run(t["get_ticket"], {"ticket_id": tid}, state)
    assert read.structured["title"] == "printer jam" and read.structured["priority"] == "high"

    sim.run(t["assign_ticket"], {"ticket_id": tid, "assignee_id": "agent_7"}, state)
    assert state["tickets"][tid]["assignee_id"] == "agent_7"

    listed = sim.run(t["list_tickets"], {}, state)
    Draft202012Validator(t["list_tickets"].output_schema).validate(listed.structured)
    assert [x["id"] for x in listed.structured["tickets"]] == [tid]

    closed = sim.run(t["close_ticket"], {"ticket_id": tid, "resolution": "fixed"}, state)
    assert not closed.is_error and tid not in state["tickets"]
    missing = sim.run(t["get_ticket"], {"ticket_id": tid}, state)
    assert missing.is_error and missing.content == f"no ticket with id {tid}; list tickets to find ids"


def test_schema_simulator_is_deterministic(tickets: list[ToolSpec]) -> None:
    t = _by_name(tickets)
    outs = []
    for _ in range(2):
        state: dict = {}
        sim = SchemaSimulator()
        a = sim.run(t["create_ticket"], {"title": "x", "priority": "low"}, state)
        b = sim.run(t["get_assignee"], {"assignee_id": "a1"}, state)
        outs.append((a.content, b.content, copy.deepcopy(state)))
    assert outs[0] == outs[1]


async def test_bad_calls_are_observations_not_crashes(tickets: list[ToolSpec]) -> None:
    env = ToolEnvironment(tickets, ExecutorSet(), {}, "ep1")
    unknown = await env.call(ToolCall.make("c1", "drop_database", {}))
    assert unknown.is_error and "unknown tool" in unknown.content and "get_ticket" in unknown.content
    invalid = await env.call(ToolCall.make("c2", "create_ticket", {"title": 3}))
    assert invalid.is_error and "invalid arguments" in invalid.content and "priority" in invalid.content
    not_json = ToolCall.make("c3", "get_ticket", {})
    not_json.function.arguments = "{not json"
    assert (await env.call(not_json)).is_error
    assert env.state == {}  # nothing executed


async def test_injected_fault_fails_once_then_the_call_works(tickets: list[ToolSpec]) -> None:
    state = {"_faults": [Fault(tool="create_ticket", times=1).model_dump()]}
    env = ToolEnvironment(tickets, ExecutorSet(), state, "ep2")
    first = await env.call(ToolCall.make("c1", "create_ticket", {"title": "t", "priority": "low"}))
    second = await env.call(ToolCall.make("c2", "create_ticket", {"title": "t", "priority": "low"}))
    assert first.is_error and "503" in first.content
    assert not second.is_error and list(env.state["tickets"]) == ["ticket_0001"]
    assert state["_faults"][0]["times"] == 1  # the task's initial state is not touched
