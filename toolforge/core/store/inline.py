"""What an event loop may do to an SQLite store itself, without a worker thread.

SQLite lives in the process: a cache lookup by key takes microseconds and a batch of a thousand
accounting rows about ten milliseconds, less than handing them to a worker thread, whose GIL
hand-offs stalled the loop for milliseconds at a time. Every call here uses this thread's own
connection with no busy timeout: when another connection (another process, a writer thread) holds
the write lock, the call says so at once and the caller goes through a worker thread, instead of
blocking the loop (with a 20 ms timeout, two rollout processes sharing one store stalled each
other's loops often enough to cost a few percent of their throughput).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from toolforge.core import secrets
from toolforge.core.store.bulk import CompiledUpsert

BUSY_TIMEOUT_MS = 0  # never wait for a lock on the event loop


_LOOKUP_ONE = 'SELECT response FROM llm_cache WHERE "key" = ?'


class InlineSQLite:
    def __init__(self, engine: Engine, upsert_for: Callable[[type[SQLModel]], CompiledUpsert]) -> None:
        self.engine = engine
        self.upsert_for = upsert_for
        self._local = threading.local()
        self._opened: list[Any] = []

    def _connection(self) -> sqlite3.Connection:
        proxy: Any = getattr(self._local, "proxy", None)
        if proxy is None:
            proxy = self._local.proxy = self.engine.raw_connection()
            self._opened.append(proxy)
            proxy.driver_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return proxy.driver_connection

    def lookup(self, key: str) -> tuple[bool, dict[str, Any] | None]:
        """(answered, the cached response or None); not answered when the database is busy. The
        lookup on the hot path of every call: one plain query."""
        try:
            row = self._connection().execute(_LOOKUP_ONE, (key,)).fetchone()
        except sqlite3.OperationalError:
            return False, None
        return True, (orjson.loads(row[0]) if row is not None and row[0] is not None else None)

    def try_upsert(self, values_by_table: Mapping[type[SQLModel], Sequence[dict[str, Any]]]) -> bool:
        """Upsert every row in one transaction; False, with nothing written, if the write lock is
        held elsewhere. Other errors (a bad row) roll back and are raised."""
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        try:
            cursor = conn.cursor()
            for table, values in values_by_table.items():
                if values:
                    values = [secrets.scrub_value(v) for v in values] if secrets.registered() else values
                    self.upsert_for(table).execute_dbapi(cursor, values)
            conn.commit()
        except sqlite3.OperationalError:
            conn.rollback()
            return False
        except BaseException:
            conn.rollback()
            raise
        return True

    def close(self) -> None:
        for proxy in self._opened:
            proxy.close()
        self._opened.clear()
        self._local = threading.local()
