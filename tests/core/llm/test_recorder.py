"""The recorder's SQLite path: rows are committed from the event loop, and when another process
holds the database's write lock the loop keeps running while a worker thread waits for it."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy.exc

from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.llm.recorder import Recorder
from toolforge.core.store import LLMCacheRow, LLMCallRow, Store
from toolforge_testing.llm_server import TestServer


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


async def test_lookups_made_together_are_answered_exactly(sqlite_store: Store) -> None:
    """Lookups made in one turn of the loop each get their own answer: committed, still buffered,
    absent or asked twice; on SQLite each is one query on the loop's own connection."""
    when = datetime(2026, 12, 4, tzinfo=UTC)
    committed = [{"key": f"c{i}", "model": "m", "response": {"n": i}, "created_at": when} for i in range(200)]
    sqlite_store.upsert_values(LLMCacheRow, committed)
    recorder = Recorder(sqlite_store, interval_s=60)
    recorder.add_values(
        LLMCacheRow, {"key": "buffered", "model": "m", "response": {"n": -1}, "created_at": when}
    )
    keys = [f"c{i}" for i in range(0, 200, 2)] + [f"absent{i}" for i in range(250)] + ["c4", "buffered"]
    expected = [{"n": i} for i in range(0, 200, 2)] + [None] * 250 + [{"n": 4}, {"n": -1}]
    assert await recorder.cache_get("c0") == {"n": 0}  # opens the loop's own connection
    queries: list[str] = []
    sqlite_store.inline._connection().set_trace_callback(queries.append)  # type: ignore[union-attr]
    assert await asyncio.gather(*(recorder.cache_get(key) for key in keys)) == expected
    assert sum(q.startswith("SELECT") for q in queries) == len(keys) - 1  # "buffered" is never asked
    await recorder.aclose()
    assert await Recorder(sqlite_store).cache_get("buffered") == {"n": -1}  # committed on close


async def test_a_lookup_the_database_cannot_answer_raises_in_every_caller(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The loop's own query fails, the worker thread's too: each caller gets the error, none hangs."""
    recorder = Recorder(sqlite_store)
    assert await recorder.cache_get("k") is None  # the loop's own connection is open
    other = sqlite3.connect(tmp_path / "toolforge.db")
    other.execute("DROP TABLE llm_cache")  # what a lookup meets in a damaged or foreign file
    other.commit()
    other.close()
    results = await asyncio.wait_for(
        asyncio.gather(*(recorder.cache_get(f"k{i}") for i in range(3)), return_exceptions=True), 10
    )
    assert [type(r) for r in results] == [sqlalchemy.exc.OperationalError] * 3
    assert all("no such table: llm_cache" in str(r) for r in results)
