"""The fault run: 2,000 structured calls with 20% 429, 5% 500, 5% malformed JSON and 2% timeouts
injected. Every call ends validated or as a stored failure with a reason; retries stay bounded;
the run's totals equal the sum of its calls."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from pydantic import BaseModel

from toolforge.core.errors import LLMError, StructuredOutputError
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import FailureRow, LLMCallRow, Store
from toolforge_testing.llm_server import Faults, spawn_server

CALLS = 2000
MAX_RETRIES = 4


class Item(BaseModel):
    title: str
    score: int
    tags: list[str]


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["litellm", "openai_compatible"])
async def test_fault_run(sqlite_store: Store, transport: str) -> None:
    # The server runs in its own process. Timeouts are generous (a busy 2-core box stretches every
    # call); a "timeout" fault hangs longer than the client waits.
    faults = Faults(
        rate_429=0.20,
        rate_500=0.05,
        rate_malformed=0.05,
        rate_timeout=0.02,
        retry_after_ms=20,
        hang_s=6,
        seed=7,
    )
    outcomes: Counter[str] = Counter()

    async def one(i: int, client: LLMClient, cfg: LLMConfig) -> None:
        messages = [{"role": "user", "content": f"item {i}"}]
        try:
            item = await client.structured(cfg, messages, Item, role="synthesizer", item_id=f"item-{i}")
        except StructuredOutputError:
            outcomes["invalid"] += 1
        except LLMError:
            outcomes["gave_up"] += 1
        else:
            assert isinstance(item, Item)
            outcomes["valid"] += 1

    with spawn_server(latency_ms=5, faults=faults, seed=7) as server:
        cfg = LLMConfig(
            model="openai/fault-model",
            api_base=server.url,
            timeout_s=4,
            max_retries=MAX_RETRIES,
            concurrency=64,
            transport=transport,
        )
        async with LLMClient(sqlite_store, run_id="faults", retry_base_s=0.005, retry_max_s=0.05) as client:
            await asyncio.gather(*(one(i, client, cfg) for i in range(CALLS)))
        counts = Counter(server.stats()["counts"])

    assert sum(outcomes.values()) == CALLS
    assert outcomes["valid"] >= CALLS * 0.9
    # every call that did not validate is a stored failure with a reason, one per item
    failures = sqlite_store.rows(FailureRow, run_id="faults")
    assert len(failures) == outcomes["invalid"] + outcomes["gave_up"]
    assert len({f.item_id for f in failures}) == len(failures)
    assert all(f.reason for f in failures)
    assert all(f.raw for f in failures if "after one repair" in f.reason)
    # retries bounded, and every attempt the server saw is accounted for by a call row
    rows = sqlite_store.rows(LLMCallRow, run_id="faults")
    assert max(r.retries for r in rows) <= MAX_RETRIES
    assert sum(r.retries + 1 for r in rows if not r.cached) == sum(counts.values())
    assert sum(r.retries for r in rows) > CALLS * 0.2  # the faults were really injected and retried
    for kind in ("429", "500", "malformed", "hang", "auto"):
        assert counts[kind] > 0
    assert counts["auto"] >= CALLS * 0.9
    # the run's totals equal the sum of its calls
    totals = sqlite_store.llm_totals("faults")
    assert totals["calls"] == len(rows) == client.usage.calls
    assert totals["prompt_tokens"] == sum(r.prompt_tokens for r in rows) == client.usage.prompt_tokens
    assert (
        totals["completion_tokens"]
        == sum(r.completion_tokens for r in rows)
        == client.usage.completion_tokens
    )
    assert totals["cost_usd"] == pytest.approx(client.usage.cost_usd)
