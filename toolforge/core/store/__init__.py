"""Persistence: sqlmodel tables over SQLite or PostgreSQL, idempotent upserts, a batching writer."""

from toolforge.core.store.convert import TABLE_OF, to_row
from toolforge.core.store.location import DB_ENV, resolve_store_url, store_source
from toolforge.core.store.store import Store, default_url, failure_row
from toolforge.core.store.tables import (
    AgentRow,
    FailureRow,
    LLMCacheRow,
    LLMCallRow,
    RunLockRow,
    RunRow,
    TaskRow,
    ToolRow,
    TrajectoryRow,
    VerdictRow,
    WorkUnitRow,
    sql_table,
)
from toolforge.core.store.writer import BatchWriter

__all__ = [
    "TABLE_OF",
    "DB_ENV",
    "AgentRow",
    "BatchWriter",
    "FailureRow",
    "LLMCacheRow",
    "LLMCallRow",
    "RunLockRow",
    "RunRow",
    "Store",
    "TaskRow",
    "ToolRow",
    "TrajectoryRow",
    "VerdictRow",
    "WorkUnitRow",
    "default_url",
    "failure_row",
    "resolve_store_url",
    "sql_table",
    "store_source",
    "to_row",
]
