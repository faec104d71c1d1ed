"""Accounting rows, cache rows and failures, buffered in memory and committed in batches.

Calls never wait for the database: rows go to a buffer that a background task flushes every
`interval_s` (or at `max_rows`) in one transaction — on the event loop itself for SQLite unless
another process holds its write lock (`store/inline.py`), else on a worker thread. `flush()` commits what is
buffered now; `aclose()` flushes and stops. A crash loses at most the last interval of accounting
and cache rows (the cache then costs one more call); failures are flushed before they are raised.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from toolforge.core.store import LLMCacheRow, Store

log = logging.getLogger(__name__)

Waiter = asyncio.Future[dict[str, Any] | None]


def _settle(batch: dict[str, list[Waiter]], outcome: dict[str, dict[str, Any]] | BaseException) -> None:
    """Every caller still waiting gets its key's response (None if absent), or the error."""
    for key, waiters in batch.items():
        for waiter in waiters:
            if waiter.done():  # its caller was cancelled meanwhile
                continue
            if isinstance(outcome, BaseException):
                waiter.set_exception(outcome)
            else:
                waiter.set_result(outcome.get(key))


class Recorder:
    # Small, frequent commits: on SQLite each commit holds the event loop, and replies that arrive
    # meanwhile wait for it (the interval's measurement: docs/llm.md).
    def __init__(self, store: Store | None, interval_s: float = 0.02, max_rows: int = 1000) -> None:
        self.store = store
        self.interval_s = interval_s
        self.max_rows = max_rows
        self._rows: list[tuple[type[SQLModel], dict[str, Any]]] = []
        self._pending_cache: dict[str, dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None
        self._closed = False
        # key -> the callers waiting for it, answered together from a worker thread
        self._lookups: dict[str, list[Waiter]] = {}
        self._lookup_task: asyncio.Task[None] | None = None

    def add(self, row: SQLModel) -> None:
        """Buffer a row object (rare rows: failures)."""
        self.add_values(type(row), row.model_dump())

    def add_values(self, table: type[SQLModel], values: dict[str, Any]) -> None:
        """Buffer one row as a plain column dict (the fast path: no model object is built)."""
        if self.store is None:
            return
        self._rows.append((table, values))
        if table is LLMCacheRow:
            self._pending_cache[values["key"]] = values["response"]
        self._ensure_task()
        if len(self._rows) >= self.max_rows and self._wake is not None:
            self._wake.set()

    async def cache_get(self, key: str) -> dict[str, Any] | None:
        """A cached response, or None. On SQLite the loop looks it up itself (a hop to a worker
        thread cost more than the query) unless another process holds the database's lock;
        elsewhere lookups from concurrent calls are batched into one query on a worker thread, so
        the loop never waits on a database server."""
        if self.store is None:
            return None
        pending = self._pending_cache.get(key)
        if pending is not None:
            return pending
        inline = self.store.inline
        if inline is not None:
            answered, hit = inline.lookup(key)
            if answered:
                return hit  # else the database is busy: ask from a worker thread
        waiter: Waiter = asyncio.get_running_loop().create_future()
        self._queue_threaded_lookup(key, waiter)
        return await waiter

    def _queue_threaded_lookup(self, key: str, waiter: Waiter) -> None:
        self._lookups.setdefault(key, []).append(waiter)
        if self._lookup_task is None or self._lookup_task.done():
            self._lookup_task = asyncio.get_running_loop().create_task(self._lookup_batches())

    async def _lookup_batches(self) -> None:
        assert self.store is not None
        while self._lookups:
            batch, self._lookups = self._lookups, {}
            try:
                found = await asyncio.to_thread(self.store.cache_get_many, list(batch))
            except BaseException as exc:
                _settle(batch, exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            _settle(batch, found)

    async def flush(self) -> None:
        if self.store is None or not self._rows:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            rows, self._rows = self._rows, []
            if not rows:
                return
            by_table: dict[type[SQLModel], list[dict[str, Any]]] = {}
            for table, values in rows:
                by_table.setdefault(table, []).append(values)
            try:
                inline = self.store.inline
                if inline is None or not inline.try_upsert(by_table):  # SQLite, unless locked elsewhere
                    await asyncio.to_thread(self.store.upsert_tables, by_table)
            except BaseException:
                self._rows[:0] = rows  # keep them for the next flush
                raise
            for table, values in rows:
                if table is LLMCacheRow:
                    self._pending_cache.pop(values["key"], None)

    async def aclose(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()

    def _ensure_task(self) -> None:
        if self._task is None and not self._closed:
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="llm-recorder")

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.flush()
            except SQLAlchemyError as exc:  # kept buffered; the next flush (or aclose) tries again
                log.warning("could not commit LLM accounting rows yet: %s", type(exc).__name__)
