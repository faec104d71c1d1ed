"""LLMClient through the real litellm client over real HTTP to the loopback server."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from pydantic import BaseModel

from toolforge.core.errors import BudgetExceeded, LLMError, StructuredOutputError
from toolforge.core.llm import Budget, LLMClient, LLMConfig
from toolforge.core.store import FailureRow, LLMCacheRow, LLMCallRow, Store
from toolforge_testing.llm_server import Reply, TestServer

MESSAGES = [{"role": "user", "content": "Name a city and a number."}]


class Answer(BaseModel):
    city: str
    count: int


async def test_plain_completion_reports_usage(server: TestServer, cfg: LLMConfig) -> None:
    server.enqueue(Reply.text("Paris."))
    async with LLMClient() as client:
        done = await client.complete(cfg, MESSAGES, role="user")
    assert done.text == "Paris."
    assert not done.cached and done.tool_calls == []
    assert done.usage.calls == 1 and done.usage.prompt_tokens > 0 and done.usage.completion_tokens > 0
    assert client.usage == done.usage
    body = server.requests[0].body
    assert body["messages"] == MESSAGES and body["temperature"] == 0.0 and body["max_tokens"] == 1024


async def test_structured_sends_schema_and_validates(server: TestServer, cfg: LLMConfig) -> None:
    async with LLMClient() as client:
        answer = await client.structured(cfg, MESSAGES, Answer, role="judge")
    assert isinstance(answer, Answer)
    response_format = server.requests[0].body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["schema"] == Answer.model_json_schema()


async def test_429_is_retried_after_retry_after(server: TestServer, cfg: LLMConfig) -> None:
    server.enqueue(Reply.error(429, retry_after="1"), Reply.json({"city": "Oslo", "count": 3}))
    async with LLMClient(retry_base_s=0.001, retry_max_s=0.002) as client:
        start = time.perf_counter()
        answer = await client.structured(cfg, MESSAGES, Answer, role="judge")
        waited = time.perf_counter() - start
    assert answer == Answer(city="Oslo", count=3)
    assert waited >= 1.0  # the header's 1 s, not the 2 ms backoff
    assert len(server.requests) == 2


async def test_retry_after_ms_wins_over_seconds(
    server: TestServer, cfg: LLMConfig, sqlite_store: Store
) -> None:
    server.enqueue(Reply.error(429, retry_after="30", retry_after_ms=50), Reply.text("ok"))
    async with LLMClient(sqlite_store, run_id="r", retry_base_s=10, retry_max_s=10) as client:
        start = time.perf_counter()
        done = await client.complete(cfg, MESSAGES, role="user")
        waited = time.perf_counter() - start
    assert done.text == "ok"
    assert 0.05 <= waited < 5
    [row] = sqlite_store.rows(LLMCallRow, run_id="r")
    assert row.retries == 1 and row.ok


async def test_500s_back_off_then_succeed(server: TestServer, cfg: LLMConfig, sqlite_store: Store) -> None:
    server.enqueue(Reply.error(500), Reply.error(503), Reply.bad_body(), Reply.text("fine"))
    async with LLMClient(sqlite_store, run_id="r", retry_base_s=0.01, retry_max_s=0.05) as client:
        done = await client.complete(cfg, MESSAGES, role="user")
    assert done.text == "fine"
    assert len(server.requests) == 4
    [row] = sqlite_store.rows(LLMCallRow, run_id="r")
    assert row.retries == 3 and row.ok and row.prompt_tokens > 0


async def test_retries_are_bounded(server: TestServer, cfg: LLMConfig, sqlite_store: Store) -> None:
    server.enqueue(*[Reply.error(500)] * 10)
    bounded = cfg.model_copy(update={"max_retries": 2})
    async with LLMClient(sqlite_store, run_id="r", retry_base_s=0.001, retry_max_s=0.01) as client:
        with pytest.raises(LLMError, match="gave up after attempt 3"):
            await client.complete(bounded, MESSAGES, role="user")
    assert len(server.requests) == 3
    [row] = sqlite_store.rows(LLMCallRow, run_id="r")
    assert not row.ok and row.retries == 2 and "InternalServerError" in (row.error or "")
    assert client.usage.calls == 1 and client.usage.prompt_tokens == 0


async def test_client_errors_are_not_retried(server: TestServer, cfg: LLMConfig) -> None:
    server.enqueue(Reply.error(400), Reply.text("never"))
    async with LLMClient(retry_base_s=0.001) as client:
        with pytest.raises(LLMError, match="failed on attempt 1"):
            await client.complete(cfg, MESSAGES, role="user")
    assert len(server.requests) == 1


async def test_timeouts_are_retried(server: TestServer, cfg: LLMConfig, sqlite_store: Store) -> None:
    server.enqueue(Reply.hang(3.0), Reply.text("late but here"))
    quick = cfg.model_copy(update={"timeout_s": 0.3})
    async with LLMClient(sqlite_store, run_id="r", retry_base_s=0.001, retry_max_s=0.01) as client:
        start = time.perf_counter()
        done = await client.complete(quick, MESSAGES, role="user")
        elapsed = time.perf_counter() - start
    assert done.text == "late but here"
    assert 0.3 <= elapsed < 2.5
    [row] = sqlite_store.rows(LLMCallRow, run_id="r")
    assert row.retries == 1


async def test_timeout_every_time_is_a_failure(server: TestServer, cfg: LLMConfig) -> None:
    server.enqueue(*[Reply.hang(3.0)] * 2)
    quick = cfg.model_copy(update={"timeout_s": 0.2, "max_retries": 1})
    async with LLMClient(retry_base_s=0.001) as client:
        with pytest.raises(LLMError, match="Timeout"):
            await client.complete(quick, MESSAGES, role="user")
    assert len(server.requests) == 2


@pytest.mark.parametrize("bad", [Reply.malformed(), Reply.truncated()], ids=["malformed", "truncated"])
async def test_invalid_json_is_repaired_once(
    server: TestServer, cfg: LLMConfig, sqlite_store: Store, bad: Reply
) -> None:
    server.enqueue(bad, Reply.json({"city": "Lima", "count": 7}))
    async with LLMClient(sqlite_store, run_id="r") as client:
        answer = await client.structured(cfg, MESSAGES, Answer, role="judge", item_id="item-1")
    assert answer == Answer(city="Lima", count=7)
    repair = server.requests[1].body["messages"]
    assert repair[:1] == MESSAGES
    assert repair[1]["role"] == "assistant" and not _is_json(repair[1]["content"])
    assert repair[2]["role"] == "user" and "could not be used" in repair[2]["content"]
    assert sqlite_store.count(FailureRow) == 0
    assert client.usage.calls == 2


@pytest.mark.parametrize("bad", [Reply.malformed(), Reply.truncated()], ids=["malformed", "truncated"])
async def test_invalid_twice_is_a_stored_failure_with_raw_text(
    server: TestServer, cfg: LLMConfig, sqlite_store: Store, bad: Reply
) -> None:
    server.enqueue(Reply.json({"city": "Lima"}), bad)
    async with LLMClient(sqlite_store, run_id="r") as client:
        with pytest.raises(StructuredOutputError) as caught:
            await client.structured(cfg, MESSAGES, Answer, role="judge", item_id="item-9")
    assert len(server.requests) == 2
    [failure] = sqlite_store.rows(FailureRow, run_id="r")
    assert failure.item_id == "item-9" and failure.stage == "llm.judge"
    assert "after one repair" in failure.reason and "count" in failure.reason
    assert failure.raw == caught.value.raw
    assert failure.raw and not _is_json(failure.raw)
    if bad.kind == "malformed":
        assert failure.raw == bad.content
    # the repair request carried the first (schema-invalid) reply back to the model
    assert server.requests[1].body["messages"][1]["content"] == '{"city": "Lima"}'


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


async def test_cache_hit_on_rerun_costs_nothing(
    server: TestServer, cfg: LLMConfig, sqlite_store: Store
) -> None:
    async with LLMClient(sqlite_store, run_id="first") as client:
        first = await client.structured(cfg, MESSAGES, Answer, role="judge")
    assert len(server.requests) == 1
    async with LLMClient(sqlite_store, run_id="second") as client:
        again = await client.structured(cfg, MESSAGES, Answer, role="judge")
        assert client.usage.cached_calls == 1 and client.usage.cost_usd == 0
        assert client.usage.prompt_tokens == 0 and client.usage.completion_tokens == 0
        salted = await client.structured(cfg, MESSAGES, Answer, role="judge", cache_salt="attempt-2")
    assert again == first
    assert isinstance(salted, Answer)
    assert len(server.requests) == 2  # the re-run paid only for the salted call
    assert sqlite_store.count(LLMCacheRow) == 2
    rows = sqlite_store.rows(LLMCallRow, run_id="second")
    assert sorted(r.cached for r in rows) == [False, True]
    assert sqlite_store.llm_totals("second")["prompt_tokens"] == client.usage.prompt_tokens


async def test_cache_hit_within_one_run_before_any_commit(
    server: TestServer, cfg: LLMConfig, sqlite_store: Store
) -> None:
    async with LLMClient(sqlite_store, run_id="r") as client:
        a = await client.complete(cfg, MESSAGES, role="user")
        b = await client.complete(cfg, MESSAGES, role="user")
    assert len(server.requests) == 1
    assert a.text == b.text and b.cached and not a.cached


async def test_budget_stops_calls(server: TestServer, cfg: LLMConfig, sqlite_store: Store) -> None:
    async with LLMClient(sqlite_store, budget=Budget(max_tokens=1)) as client:
        await client.complete(cfg, MESSAGES, role="user")
        with pytest.raises(BudgetExceeded, match="max_tokens"):
            await client.complete(cfg, [{"role": "user", "content": "another"}], role="user")
        cached = await client.complete(cfg, MESSAGES, role="user")  # cache hits stay free
    assert cached.cached
    assert len(server.requests) == 1


async def test_cost_budget_uses_litellm_cost_map(server: TestServer, transport: str) -> None:
    known = LLMConfig(model="openai/gpt-4o-mini", api_base=server.url, transport=transport)
    async with LLMClient(budget=Budget(max_cost_usd=1e-9)) as client:
        done = await client.complete(known, MESSAGES, role="user")
        assert done.usage.cost_usd > 0
        with pytest.raises(BudgetExceeded, match="spend budget"):
            await client.complete(known, [{"role": "user", "content": "more"}], role="user")
    unknown = LLMConfig(model="openai/no-such-model", api_base=server.url, transport=transport)
    async with LLMClient() as client:
        assert (await client.complete(unknown, MESSAGES, role="user")).usage.cost_usd == 0


async def test_concurrency_is_limited_per_model(server: TestServer, cfg: LLMConfig) -> None:
    server.latency_s = 0.1
    limited = cfg.model_copy(update={"concurrency": 3})
    async with LLMClient() as client:
        start = time.perf_counter()
        await asyncio.gather(
            *(client.complete(limited, [{"role": "user", "content": str(i)}], role="user") for i in range(12))
        )
        elapsed = time.perf_counter() - start
    assert elapsed >= 0.4  # 12 calls, 3 at a time, 0.1 s each: at least 4 rounds
