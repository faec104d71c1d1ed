"""Accounting, cache and failures through the client on both store backends (SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from toolforge.core.errors import StructuredOutputError
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import FailureRow, LLMCacheRow, LLMCallRow, Store
from toolforge_testing.llm_server import Reply, TestServer


class Out(BaseModel):
    value: int


async def test_rows_cache_and_failures(server: TestServer, cfg: LLMConfig, store: Store) -> None:
    server.enqueue(
        Reply.error(429, retry_after_ms=1), Reply.json({"value": 1}), Reply.malformed(), Reply.malformed()
    )
    async with LLMClient(store, run_id="b1", retry_base_s=0.001) as client:
        assert await client.structured(cfg, [{"role": "user", "content": "one"}], Out, role="judge") == Out(
            value=1
        )
        with pytest.raises(StructuredOutputError):
            await client.structured(
                cfg, [{"role": "user", "content": "two"}], Out, role="judge", item_id="two"
            )
        # a burst of lookups and writes, batched
        for i in range(30):
            await client.complete(cfg, [{"role": "user", "content": f"burst {i}"}], role="user")
    async with LLMClient(store, run_id="b2") as client:
        again = await client.structured(cfg, [{"role": "user", "content": "one"}], Out, role="judge")
    assert again == Out(value=1) and client.usage.cached_calls == 1
    rows = store.rows(LLMCallRow, run_id="b1")
    assert len(rows) == 33 and sorted(r.retries for r in rows)[-1] == 1
    totals = store.llm_totals("b1")
    assert totals["calls"] == 33 and totals["prompt_tokens"] == sum(r.prompt_tokens for r in rows)
    assert store.count(LLMCacheRow) == 31  # the invalid replies are not cached
    [failure] = store.rows(FailureRow, run_id="b1")
    assert failure.item_id == "two" and failure.raw == Reply.malformed().content
