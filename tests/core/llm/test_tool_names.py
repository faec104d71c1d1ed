"""MCP tool names a provider refuses (`math.factorial`) go out mapped and come back as they were."""

from __future__ import annotations

from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.llm.tool_names import PROVIDER_NAME, ProviderNames
from toolforge.core.types import Message, ToolSpec
from toolforge_testing.llm_server import Reply, TestServer


def spec(name: str) -> ToolSpec:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    return ToolSpec(name=name, description="Computes.", input_schema=schema, source="catalog")


def test_every_name_maps_to_a_distinct_legal_one_and_back() -> None:
    names = ["math.factorial", "math_factorial", "x" * 128, "x" * 64, "a.b-c", "get_time", "é.ü"]
    mapping = ProviderNames.for_tools(names)
    sent = [mapping.to_provider(n) for n in names]
    assert all(PROVIDER_NAME.match(s) for s in sent) and len(set(sent)) == len(names)
    assert [mapping.from_provider(s) for s in sent] == names
    assert (
        mapping.to_provider("get_time") == "get_time"
        and mapping.to_provider("math_factorial") == "math_factorial"
    )
    assert mapping.from_provider("invented") == "invented"  # left for the judges to flag
    assert ProviderNames.for_tools(reversed(names)) == mapping  # the order tools come in does not matter


async def test_dotted_names_round_trip_through_a_native_llm_call(server: TestServer, cfg: LLMConfig) -> None:
    tools = [spec("math.factorial"), spec("math_factorial")]
    sent_name = ProviderNames.for_tools(t.name for t in tools).to_provider("math.factorial")
    history = [
        Message(role="system", content="You compute."),
        Message(role="user", content="5! and then 6!"),
    ]
    server.enqueue(Reply.calls((sent_name, {"n": 5})), Reply.calls((sent_name, {"n": 6})))
    native = cfg.model_copy(update={"tool_mode": "native"})
    async with LLMClient() as client:
        first = await client.act(native, history, tools)
        assert first.tool_calls is not None and first.tool_calls[0].name == "math.factorial"
        call = first.tool_calls[0]
        result = Message(role="tool", tool_call_id=call.id, name=call.name, content="120")
        second = await client.act(native, [*history, first, result], tools)
    assert second.tool_calls is not None and second.tool_calls[0].name == "math.factorial"
    body = server.requests[-1].body
    assert sorted(t["function"]["name"] for t in body["tools"]) == sorted([sent_name, "math_factorial"])
    assert all(PROVIDER_NAME.match(t["function"]["name"]) for t in body["tools"])
    assistant = next(m for m in body["messages"] if m.get("tool_calls"))
    assert assistant["tool_calls"][0]["function"]["name"] == sent_name
    assert next(m for m in body["messages"] if m["role"] == "tool")["name"] == sent_name
