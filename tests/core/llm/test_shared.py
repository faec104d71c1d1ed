"""Limits shared by several clients (a cluster's nodes): one budget, one concurrency per model,
and a rate limit that holds every client's next call."""

from __future__ import annotations

import asyncio
import time

import pytest

from toolforge.core.errors import BudgetExceeded
from toolforge.core.llm import Budget, LLMClient, LLMConfig
from toolforge.core.llm.shared import LocalSharedLimits
from toolforge_testing.llm_server import Reply, TestServer


def ask(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"question {i}"}]  # distinct: no cache hits


async def test_two_clients_spend_one_budget(server: TestServer, cfg: LLMConfig) -> None:
    shared = LocalSharedLimits()
    budget = Budget(max_tokens=1)
    async with LLMClient(budget=budget, shared=shared) as a, LLMClient(budget=budget, shared=shared) as b:
        await a.complete(cfg, ask(0), role="user")
        # b has spent nothing itself, but the budget is the cluster's
        with pytest.raises(BudgetExceeded, match="token budget used up"):
            await b.complete(cfg, ask(1), role="user")
    report = await shared.report()
    assert report["tokens"] == a.usage.prompt_tokens + a.usage.completion_tokens > 0
    assert len(server.requests) == 1


async def test_two_clients_share_one_concurrency_limit(server: TestServer, cfg: LLMConfig) -> None:
    shared = LocalSharedLimits()
    limited = cfg.model_copy(update={"concurrency": 2})
    server.latency_s = 0.2
    async with LLMClient(shared=shared) as a, LLMClient(shared=shared) as b:
        started = time.monotonic()
        await asyncio.gather(*(c.complete(limited, ask(i), role="user") for i, c in enumerate([a, b] * 4)))
        elapsed = time.monotonic() - started
    report = await shared.report()
    assert report["peak"] == {limited.model: 2} and report["acquired"] == 8
    assert elapsed >= 4 * 0.2  # 8 calls, 2 at a time across both clients (each alone would allow 2)


async def test_a_rate_limit_holds_the_other_clients(server: TestServer, cfg: LLMConfig) -> None:
    shared = LocalSharedLimits()
    server.enqueue(Reply.error(429, retry_after="1"))
    async with LLMClient(shared=shared) as a, LLMClient(shared=shared) as b:
        first = asyncio.create_task(a.complete(cfg, ask(0), role="user"))
        while cfg.model not in shared.not_before:  # until a's call meets the 429 and pauses the model
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await b.complete(cfg, ask(1), role="user")
        assert time.monotonic() - started >= 0.8  # b waited out a's Retry-After: 1
        done = await first
    assert done.text and not done.cached  # slowed, not failed
