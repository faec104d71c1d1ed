"""The openai_compatible transport's own behaviour (the shared behaviour tests run over both
transports through the `cfg` fixture): config check, the wire model, connection errors, sessions."""

from __future__ import annotations

import socket

import pytest
from pydantic import ValidationError

from toolforge.core.errors import ConfigError, LLMError
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.llm.direct import DirectTransport, raw_from_json, token_prices, wire_model
from toolforge.core.store import LLMCallRow, Store
from toolforge_testing.llm_server import Reply, TestServer

MESSAGES = [{"role": "user", "content": "hello"}]


def test_transport_needs_api_base() -> None:
    with pytest.raises(ValidationError, match="needs api_base.*set api_base, or use transport 'litellm'"):
        LLMConfig(model="hosted_vllm/m", transport="openai_compatible")
    assert LLMConfig(model="local/smollm2", transport="openai_compatible").is_local  # its URL is known


def test_auto_picks_the_direct_transport_for_openai_compatible_servers_only() -> None:
    url = "http://127.0.0.1:8000/v1"
    assert LLMConfig(model="openai/x", api_base=url).effective_transport == "openai_compatible"
    assert LLMConfig(model="hosted_vllm/org/x", api_base=url).effective_transport == "openai_compatible"
    assert LLMConfig(model="local/smollm2").effective_transport == "openai_compatible"
    assert LLMConfig(model="openai/gpt-4o-mini").effective_transport == "litellm"  # the hosted API
    assert LLMConfig(model="anthropic/claude", api_base=url).effective_transport == "litellm"
    assert LLMConfig(model="ollama/x", api_base=url).effective_transport == "litellm"
    chosen = LLMConfig(model="openai/x", api_base=url, transport="litellm")
    assert chosen.effective_transport == "litellm"  # a transport named is the one taken


def test_wire_model_drops_the_provider_prefix_like_litellm() -> None:
    assert wire_model("openai/test-model") == "test-model"
    assert wire_model("hosted_vllm/meta-llama/Llama-3.1-8B") == "meta-llama/Llama-3.1-8B"
    assert wire_model("meta-llama/Llama-3.1-8B") == "meta-llama/Llama-3.1-8B"  # no provider prefix
    assert wire_model("plain") == "plain"


def test_prices_come_from_the_cost_map_once() -> None:
    prompt, completion = token_prices("openai/gpt-4o-mini")
    assert prompt > 0 and completion > 0
    assert token_prices("hosted_vllm/no-such-model") == (0.0, 0.0)
    assert token_prices.cache_info().hits >= 0 and token_prices("openai/gpt-4o-mini") == (prompt, completion)


async def test_sends_what_litellm_sends(server: TestServer) -> None:
    """The same request body, field for field, from both transports (the model field stripped alike)."""
    bodies = []
    for transport in ("litellm", "openai_compatible"):
        cfg = LLMConfig(
            model="hosted_vllm/org/model-x",
            api_base=server.url,
            transport=transport,
            extra={"top_p": 0.5},
        )
        server.reset()
        tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
        async with LLMClient() as client:
            await client.complete(cfg, MESSAGES, role="user", tools=tools)
        [request] = server.requests
        bodies.append(request.body)
    assert bodies[1]["model"] == "org/model-x"
    assert bodies[1] == bodies[0]


async def test_native_tool_calls_come_back_as_litellm_gives_them(server: TestServer) -> None:
    raws = []
    for transport in ("litellm", "openai_compatible"):
        cfg = LLMConfig(model="openai/m", api_base=server.url, transport=transport)
        server.enqueue(Reply.calls(("get_weather", {"city": "Paris"})))
        async with LLMClient() as client:
            done = await client.complete(cfg, MESSAGES, role="agent", cache_salt=transport)
        raws.append(done.raw)
        assert [c.function.name for c in done.tool_calls] == ["get_weather"]
    for raw in raws:  # the server numbers its replies
        raw.pop("id")
        raw["choices"][0]["message"]["tool_calls"][0].pop("id")
    assert raws[0] == raws[1]


async def test_connection_refused_is_retried_then_a_failure(sqlite_store: Store) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    cfg = LLMConfig(
        model="openai/m", api_base=f"http://127.0.0.1:{port}/v1", transport="openai_compatible", max_retries=2
    )
    async with LLMClient(sqlite_store, run_id="r", retry_base_s=0.001, retry_max_s=0.01) as client:
        with pytest.raises(LLMError, match="gave up after attempt 3.*APIConnectionError"):
            await client.complete(cfg, MESSAGES, role="user")
    [row] = sqlite_store.rows(LLMCallRow, run_id="r")
    assert not row.ok and row.retries == 2


async def test_unknown_status_and_not_found(server: TestServer) -> None:
    cfg = LLMConfig(model="openai/m", api_base=server.url, transport="openai_compatible", max_retries=1)
    server.enqueue(Reply.error(404), Reply.error(504), Reply.error(504))
    async with LLMClient(retry_base_s=0.001, retry_max_s=0.01) as client:
        with pytest.raises(LLMError, match="failed on attempt 1.*NotFoundError"):
            await client.complete(cfg, MESSAGES, role="user")
        with pytest.raises(LLMError, match="gave up after attempt 2.*HTTP 504"):
            await client.complete(cfg, [{"role": "user", "content": "2"}], role="user")
    assert len(server.requests) == 3


def test_raw_from_json_tolerates_missing_usage() -> None:
    raw = raw_from_json({"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]})
    assert raw["usage"] == {"prompt_tokens": 0, "completion_tokens": 0}
    assert raw["choices"][0]["message"] == {"role": "assistant", "content": "hi", "tool_calls": []}


async def test_one_pool_per_client_and_loop_and_its_connection_is_reused(server: TestServer) -> None:
    cfg = LLMConfig(model="openai/m", api_base=server.url, transport="openai_compatible")
    client = LLMClient()
    opened_before = server.opened
    for i in range(3):
        await client.complete(cfg, [{"role": "user", "content": str(i)}], role="user")
    direct = client._transports["openai_compatible"]
    assert isinstance(direct, DirectTransport)
    pools = list(direct._pools.values())
    assert len(pools) == 1
    assert server.opened - opened_before == 1  # three calls in sequence, one keep-alive connection
    await client.aclose()
    assert not direct._pools


async def test_a_secret_with_a_line_break_is_refused_before_sending(
    server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROKEN_KEY", "sk-abc\r\nX-Injected: 1")
    cfg = LLMConfig(
        model="openai/m", api_base=server.url, transport="openai_compatible", api_key_env="BROKEN_KEY"
    )
    async with LLMClient() as client:
        with pytest.raises(ConfigError, match="line break"):
            await client.complete(cfg, MESSAGES, role="user")
    assert server.requests == []
