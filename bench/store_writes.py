"""The store's write and lookup paths side by side, in one process, on one SQLite file.

    PYTHONPATH=. .venv/bin/python bench/store_writes.py [--rows 200] [--batches 20] [--repeats 5]

Writes: the LLM client's accounting and cache rows in batches of `--rows` (what the recorder
commits at a time), through
  orm     `Store.upsert_rows` on model objects (SQLAlchemy builds and binds the statement),
  bulk    `Store.upsert_tables` on plain dicts (one compiled upsert, the driver's executemany),
  inline  `InlineSQLite.try_upsert` (the same compiled upsert on the caller's own connection).
Lookups of `--rows` cached keys at a time, through
  orm      `Store.cache_get_many` (a SQLAlchemy select ... IN),
  inline   `InlineSQLite.lookup` per key (what the recorder does on SQLite).
Prints the median rows/s of `--repeats` rounds and each path's ratio to the ORM path.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolforge.core.store import LLMCacheRow, LLMCallRow, Store
from toolforge.core.store.tables import utcnow

RESPONSE = {
    "id": "chatcmpl-1",
    "model": "bench",
    "choices": [{"message": {"role": "assistant", "content": '{"title": "t", "score": 1, "tags": ["a"]}',
                             "tool_calls": []}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 12},
}  # fmt: skip


def call_values(i: int, tag: str) -> dict[str, Any]:
    return {
        "id": f"call-{tag}-{i:08d}", "run_id": "bench", "role": "bench", "model": "openai/bench",
        "prompt_tokens": 20, "completion_tokens": 12, "cost_usd": 0.0, "latency_s": 0.1, "retries": 0,
        "cached": False, "ok": True, "error": None, "created_at": utcnow(),
    }  # fmt: skip


def cache_values(i: int, tag: str) -> dict[str, Any]:
    return {
        "key": f"key-{tag}-{i:08d}",
        "model": "openai/bench",
        "response": RESPONSE,
        "created_at": utcnow(),
    }


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def write(
    store: Store, path: str, calls: list[dict[str, Any]], caches: list[dict[str, Any]]
) -> Callable[[], None]:
    """One batch's commit through `path`."""
    inline = store.inline
    assert inline is not None
    if path == "orm":
        return lambda: store.upsert_rows(
            [LLMCallRow(**c) for c in calls] + [LLMCacheRow(**k) for k in caches]
        )
    if path == "bulk":
        return lambda: store.upsert_tables({LLMCallRow: calls, LLMCacheRow: caches})

    def inline_write() -> None:
        if not inline.try_upsert({LLMCallRow: calls, LLMCacheRow: caches}):
            raise RuntimeError("the bench's database is locked by another process")

    return inline_write


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, batches = args.rows, args.batches
    writes: dict[str, list[float]] = {"orm": [], "bulk": [], "inline": []}
    lookups: dict[str, list[float]] = {"orm": [], "inline": []}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        inline = store.inline
        assert inline is not None
        for round_ in range(args.repeats):
            for path in writes:  # every path writes fresh rows (inserts), then the same again (updates)
                tag = f"{path}{round_}"
                data = [
                    [(call_values(b * n + i, tag), cache_values(b * n + i, tag)) for i in range(n)]
                    for b in range(batches)
                ]
                total = 0.0
                for batch in data + data:
                    total += timed(write(store, path, [c for c, _ in batch], [k for _, k in batch]))
                writes[path].append(2 * 2 * batches * n / total)
            keys = [f"key-bulk{round_}-{i:08d}" for i in range(batches * n)]
            chunks = [keys[i : i + n] for i in range(0, len(keys), n)]
            for path in lookups:
                found = 0
                start = time.perf_counter()
                for chunk in chunks:
                    if path == "orm":
                        found += len(store.cache_get_many(chunk))
                    else:
                        found += sum(inline.lookup(k)[1] is not None for k in chunk)
                lookups[path].append(len(keys) / (time.perf_counter() - start))
                assert found == len(keys), (path, found)
        store.close()
    print(f"SQLite, medians of {args.repeats} rounds, batches of {n} rows")
    for title, table in (("writes (rows/s)", writes), ("cache lookups (keys/s)", lookups)):
        orm = statistics.median(table["orm"])
        print(title)
        for path, values in table.items():
            median = statistics.median(values)
            print(f"  {path:<11} {median:>10.0f}   {median / orm:.2f}x the ORM path")


if __name__ == "__main__":
    main()
