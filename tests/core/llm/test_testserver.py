"""The loopback server over plain HTTP: scripted replies, defaults, faults, many connections."""

from __future__ import annotations

import asyncio
import json
import random

import aiohttp
import httpx
import jsonschema

from toolforge_testing.llm_server import Faults, Reply, Request, TestServer, spawn_server

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "n": {"type": "integer", "minimum": 0}},
    "required": ["name", "n"],
    "additionalProperties": False,
}


def _post(server_url: str, body: dict) -> httpx.Response:
    return httpx.post(f"{server_url}/chat/completions", json=body, timeout=10)


def _structured_body(content: str = "hi") -> dict:
    return {
        "model": "m",
        "messages": [{"role": "user", "content": content}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "o", "schema": SCHEMA}},
    }


def test_default_replies_follow_the_schema(server: TestServer) -> None:
    for i in range(5):
        response = _post(server.url, _structured_body(str(i)))
        assert response.status_code == 200
        body = response.json()
        content = json.loads(body["choices"][0]["message"]["content"])
        jsonschema.validate(content, SCHEMA)
        assert body["usage"]["prompt_tokens"] > 0 and body["model"] == "m"
    plain = _post(server.url, {"model": "m", "messages": [{"role": "user", "content": "hi"}]}).json()
    assert plain["choices"][0]["message"]["content"]
    assert [r.index for r in server.requests] == list(range(6))


def test_queue_then_responder_then_default(server: TestServer) -> None:
    def responder(req: Request) -> Reply | None:
        return Reply.text(f"echo {req.body['messages'][-1]['content']}") if req.index % 2 else None

    server.responder = responder
    server.enqueue(Reply.calls(("lookup", {"id": 7}), content=None))
    first = _post(server.url, {"messages": [{"role": "user", "content": "a"}]}).json()
    call = first["choices"][0]["message"]["tool_calls"][0]
    assert call["function"] == {"name": "lookup", "arguments": '{"id": 7}'}
    assert first["choices"][0]["finish_reason"] == "tool_calls"
    second = _post(server.url, {"messages": [{"role": "user", "content": "b"}]}).json()
    assert second["choices"][0]["message"]["content"] == "echo b"
    third = _post(server.url, {"messages": [{"role": "user", "content": "c"}]}).json()
    assert third["choices"][0]["message"]["content"] == "Hello from the toolforge test server."


def test_scripted_faults(server: TestServer) -> None:
    server.enqueue(
        Reply.error(429, retry_after="2", retry_after_ms=1500),
        Reply.error(500),
        Reply.malformed(),
        Reply.truncated(),
        Reply.bad_body(),
    )
    limited = _post(server.url, _structured_body())
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2" and limited.headers["retry-after-ms"] == "1500"
    assert _post(server.url, _structured_body()).status_code == 500
    malformed = _post(server.url, _structured_body()).json()["choices"][0]["message"]["content"]
    truncated = _post(server.url, _structured_body()).json()["choices"][0]
    for text in (malformed, truncated["message"]["content"]):
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{text!r} parsed as JSON")
    assert truncated["finish_reason"] == "length"
    bad = _post(server.url, _structured_body())
    assert bad.status_code == 200
    try:
        bad.json()
    except ValueError:
        pass
    else:
        raise AssertionError("the bad body parsed as JSON")
    assert server.counts == {"429": 1, "500": 1, "malformed": 1, "truncated": 1, "bad_body": 1}


async def test_latency_and_slow_replies() -> None:
    server = await TestServer(latency_ms=100).astart()
    try:
        server.enqueue(Reply.text("slow", delay_s=0.3))
        async with httpx.AsyncClient() as client:
            loop = asyncio.get_running_loop()
            start = loop.time()
            slow = await client.post(f"{server.url}/chat/completions", json={"messages": []})
            slow_s = loop.time() - start
            start = loop.time()
            await client.post(f"{server.url}/chat/completions", json={"messages": []})
            normal_s = loop.time() - start
    finally:
        await server.aclose()
    assert slow.json()["choices"][0]["message"]["content"] == "slow"
    assert slow_s >= 0.4 and 0.1 <= normal_s < slow_s


def test_fault_mix_is_seeded_and_near_its_rates() -> None:
    def draws(seed: int) -> list[str]:
        faults = Faults(rate_429=0.2, rate_500=0.05, rate_malformed=0.05, rate_timeout=0.02, seed=seed)
        out = []
        for _ in range(5000):
            reply = faults.draw()
            out.append(
                "ok" if reply is None else (str(reply.status) if reply.kind == "error" else reply.kind)
            )
        return out

    first = draws(1)
    assert first == draws(1) and first != draws(2)
    share = {k: first.count(k) / len(first) for k in set(first)}
    assert abs(share["429"] - 0.2) < 0.03 and abs(share["500"] - 0.05) < 0.015
    assert abs(share["malformed"] - 0.05) < 0.015 and abs(share["hang"] - 0.02) < 0.01


async def test_a_thousand_concurrent_connections() -> None:
    server = await TestServer(latency_ms=300, record=False).astart()
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(i: int) -> dict:
                async with session.post(f"{server.url}/chat/completions", json=_structured_body(str(i))) as r:
                    return await r.json()

            replies = await asyncio.gather(*(one(i) for i in range(1200)))
    finally:
        await server.aclose()
    assert server.max_open >= 1000
    rng = random.Random(0)
    for reply in rng.sample(replies, 50):
        jsonschema.validate(json.loads(reply["choices"][0]["message"]["content"]), SCHEMA)


def test_subprocess_server_serves_and_counts() -> None:
    with spawn_server(latency_ms=1, faults=Faults(rate_500=1.0)) as proc:
        assert _post(proc.url, _structured_body()).status_code == 500
        assert httpx.get(proc.url + "/models").status_code == 200
        assert proc.stats()["counts"] == {"500": 1}
    assert proc.process.poll() is not None
