"""act(): native and json tool modes give the same Message; json mode rewrites the history."""

from __future__ import annotations

import json

import pytest

from toolforge.core.errors import StructuredOutputError
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import FailureRow, Store
from toolforge.core.types import Message, ToolCall, ToolSpec
from toolforge_testing.llm_server import Reply, TestServer

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    input_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    source="python",
)
CLOCK = ToolSpec(
    name="get_time",
    description="Local time.",
    input_schema={"type": "object", "properties": {}},
    source="python",
)
HISTORY = [
    Message(role="system", content="You help with travel."),
    Message(role="user", content="Weather and time in Paris?"),
]


async def test_native_and_json_modes_give_the_same_message(server: TestServer, cfg: LLMConfig) -> None:
    native = cfg.model_copy(update={"tool_mode": "native"})
    as_json = cfg.model_copy(update={"tool_mode": "json"})
    server.enqueue(
        Reply.calls(("get_weather", {"city": "Paris"}), ("get_time", {})),
        Reply.json(
            {
                "tool_calls": [
                    {"name": "get_weather", "arguments": {"city": "Paris"}},
                    {"name": "get_time", "arguments": {}},
                ]
            }
        ),
        Reply.text("It is sunny."),
        Reply.json({"reply": "It is sunny."}),
    )
    async with LLMClient() as client:
        calls_native = await client.act(native, HISTORY, [WEATHER, CLOCK])
        calls_json = await client.act(as_json, HISTORY, [WEATHER, CLOCK])
        text_native = await client.act(native, HISTORY, [WEATHER, CLOCK])
        text_json = await client.act(as_json, HISTORY, [WEATHER, CLOCK])
    assert calls_native == calls_json
    assert calls_native.tool_calls is not None and [c.name for c in calls_native.tool_calls] == [
        "get_weather",
        "get_time",
    ]
    assert calls_native.tool_calls[0].parsed_arguments() == {"city": "Paris"}
    assert calls_native.tool_calls[0].id != calls_native.tool_calls[1].id
    assert text_native == text_json == Message(role="assistant", content="It is sunny.")
    native_body, json_body = server.requests[0].body, server.requests[1].body
    assert [t["function"]["name"] for t in native_body["tools"]] == ["get_weather", "get_time"]
    assert "tools" not in json_body
    schema = json_body["response_format"]["json_schema"]["schema"]
    assert {"tool_calls", "reply"} == {next(iter(branch["properties"])) for branch in schema["anyOf"]}


async def test_json_mode_rewrites_tool_history_as_text(server: TestServer, cfg: LLMConfig) -> None:
    call = ToolCall.make("call_1", "get_weather", {"city": "Paris"})
    history = [
        *HISTORY,
        Message(role="assistant", content=None, tool_calls=[call]),
        Message(role="tool", tool_call_id="call_1", content='{"sky": "clear"}'),
    ]
    server.enqueue(Reply.json({"reply": "Clear skies."}))
    async with LLMClient() as client:
        reply = await client.act(cfg.model_copy(update={"tool_mode": "json"}), history, [WEATHER])
    assert reply.content == "Clear skies."
    sent = server.requests[0].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[0]["content"].startswith("You help with travel.") and "get_weather" in sent[0]["content"]
    assert json.loads(sent[2]["content"]) == {
        "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    }
    assert sent[3]["content"] == 'Result of get_weather:\n{"sky": "clear"}'


async def test_json_mode_default_reply_is_a_valid_action(server: TestServer, cfg: LLMConfig) -> None:
    async with LLMClient() as client:
        for _ in range(5):
            reply = await client.act(cfg.model_copy(update={"tool_mode": "json"}), HISTORY, [WEATHER, CLOCK])
            assert (reply.content is not None) != bool(reply.tool_calls)
            for call in reply.tool_calls or []:
                assert call.name in {"get_weather", "get_time"} and isinstance(call.parsed_arguments(), dict)


async def test_json_mode_unknown_tool_is_repaired_then_a_stored_failure(
    server: TestServer, cfg: LLMConfig, sqlite_store: Store
) -> None:
    bad = Reply.json({"tool_calls": [{"name": "launch_rocket", "arguments": {}}]})
    server.enqueue(bad, bad)
    async with LLMClient(sqlite_store, run_id="r") as client:
        with pytest.raises(StructuredOutputError, match="unknown tool"):
            await client.act(cfg.model_copy(update={"tool_mode": "json"}), HISTORY, [WEATHER])
    assert "unknown tool 'launch_rocket'" in server.requests[1].body["messages"][-1]["content"]
    [failure] = sqlite_store.rows(FailureRow, run_id="r")
    assert failure.stage == "llm.agent" and "launch_rocket" in (failure.raw or "")


async def test_local_models_always_use_json_mode() -> None:
    assert LLMConfig(model="local/smollm2", tool_mode="native").effective_tool_mode == "json"
    assert LLMConfig(model="openai/x").effective_tool_mode == "native"
