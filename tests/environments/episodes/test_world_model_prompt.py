"""The world model's prompt: the call JSON, assembled from a cached spec, is `json.dumps`'s text."""

from __future__ import annotations

import datetime
import json

from environments.episodes.executors.base import CallContext, CallRecord
from environments.episodes.executors.world_model import (
    HISTORY_CALLS,
    OUTCOME_GUIDE,
    _prompt,
    call_json,
    world_view,
)
from toolforge.core.types import ToolSpec


def _expected(tool: ToolSpec, arguments: dict, ctx: CallContext) -> str:
    spec = {
        "name": tool.name,
        "description": tool.description,
        "input_schema": tool.input_schema,
        "output_schema": tool.output_schema,
    }
    history = [
        {"tool": h.name, "arguments": h.arguments, "result": h.result, "is_error": h.is_error}
        for h in ctx.history[-HISTORY_CALLS:]
    ]
    world = world_view(tool, arguments, ctx.state)
    payload = {"tool": spec, "world_state": world, "history": history, "call": arguments}
    return json.dumps(payload, ensure_ascii=False, default=str)


def test_call_json_is_the_dumps_of_the_whole_payload(tickets: list[ToolSpec]) -> None:
    state = {
        "tickets": {"ticket_0001": {"id": "ticket_0001", "title": "Drucker kaputt — ñ", "status": "open"}},
        "users": {"u_1": {"id": "u_1", "since": datetime.date(2026, 1, 2)}},  # default=str
        "_seq": {"ticket": 1},
    }
    ctx = CallContext(state=state)
    for i in range(HISTORY_CALLS + 3):
        ctx.history.append(CallRecord(f"t{i}", {"n": i, "s": "é"}, {"ok": i % 2 == 0}, i % 3 == 0))
    for tool in tickets:
        for arguments in (
            {},
            {"ticket_id": "ticket_0001", "title": "日本"},
            {"assignee_id": "u_1", "n": 1.5},
        ):
            assert call_json(tool, arguments, ctx) == _expected(tool, arguments, ctx)
            assert call_json(tool, arguments, ctx) == _expected(tool, arguments, ctx)  # the cached spec
    prompt = _prompt(tickets[0], {}, ctx, "edge")
    assert [m["role"] for m in prompt] == ["system", "user"]
    assert prompt[0]["content"] == (
        "You are the world model behind a set of tools. Given the hidden world state "
        "({collection: {id: record}}), the calls made so far and a new call, return the tool's "
        "result and the records it creates, changes or removes. Stay consistent with the state "
        "and the history; never contradict a stored record. "
        f"Outcome to render: EDGE — {OUTCOME_GUIDE['edge']}"
    )
    assert prompt[1]["content"] == _expected(tickets[0], {}, ctx)


def test_the_spec_cache_follows_the_tool_object(tickets: list[ToolSpec]) -> None:
    ctx = CallContext(state={})
    tool = tickets[0]
    before = call_json(tool, {}, ctx)
    other = tool.model_copy(update={"description": "Another description."})
    assert call_json(other, {}, ctx) == _expected(other, {}, ctx) != before
    assert call_json(tool, {}, ctx) == before
