"""The recorder's SQLite path: rows are committed from the event loop, and when another process
holds the database's write lock the loop keeps running while a worker thread waits for it."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.llm.testserver import TestServer
from toolforge.core.store import LLMCacheRow, LLMCallRow, Store


async def test_a_locked_database_does_not_block_the_loop_and_loses_no_row(
    server: TestServer, sqlite_store: Store, tmp_path: Path
) -> None:
    cfg = LLMConfig(model="openai/m", api_base=server.url, transport="openai_compatible")
    client = LLMClient(sqlite_store, run_id="locked")
    other = sqlite3.connect(tmp_path / "toolforge.db", check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    for i in range(5):
        await client.complete(cfg, [{"role": "user", "content": f"q{i}"}], role="user")
    flush = asyncio.create_task(client.flush())
    ticks = 0
    start = time.perf_counter()
    while time.perf_counter() - start < 0.5:  # the loop stays responsive while the lock is held
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks >= 20 and not flush.done()
    other.rollback()
    other.close()
    await asyncio.wait_for(flush, 30)
    await client.aclose()
    assert sqlite_store.count(LLMCallRow, run_id="locked") == 5
    assert sqlite_store.count(LLMCacheRow) == 5
