"""A meter sees exactly the calls made in its own context, cached ones included."""

from __future__ import annotations

import asyncio

from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.llm.metering import start_meter, stop_meter
from toolforge.core.store import Store
from toolforge.core.types import Usage
from toolforge_testing.llm_server import Reply, TestServer


async def test_each_context_meters_only_its_own_calls(
    cfg: LLMConfig, server: TestServer, sqlite_store: Store
) -> None:
    async with LLMClient(sqlite_store, run_id="m") as llm:

        async def work(name: str, calls: int) -> Usage:
            seen = Usage()

            def sink(usage: Usage) -> None:
                nonlocal seen
                seen = seen.add(usage)

            token = start_meter(sink)
            try:
                for i in range(calls):
                    server.enqueue(Reply.text(f"{name} {i}"))
                    await llm.complete(cfg, [{"role": "user", "content": f"{name} {i}"}], role="agent")
            finally:
                stop_meter(token)
            return seen

        first, second = await asyncio.gather(work("a", 2), work("b", 3))
        assert (first.calls, second.calls) == (2, 3)
        assert first.add(second) == llm.usage  # nothing counted twice, nothing missed
        # A cache hit is reported too, as a cached call that costs nothing.
        again = await work("a", 1)
        assert (again.calls, again.cached_calls, again.cost_usd) == (1, 1, 0.0)
