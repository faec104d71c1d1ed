"""The store's tables. Each row keeps a few indexed columns for queries and the whole record as
JSON in `data`, so the schema of a record can grow without a migration."""

# sqlmodel declares `__tablename__` as a declared_attr; the plain string below is SQLAlchemy's
# documented form and works, but the checker calls it a wrong type on each table.
# pyright: reportAssignmentType=false

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Table, Text, inspect
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def sql_table(table: type[SQLModel]) -> Table:
    """The SQLAlchemy Table of a table model (sqlmodel sets `__table__` but does not declare it)."""
    found = inspect(table).local_table
    if not isinstance(found, Table):
        raise TypeError(f"{table.__name__} is not mapped to one table")
    return found


def primary_key(table: type[SQLModel]) -> str:
    """The name of a table model's (single) primary-key column."""
    return sql_table(table).primary_key.columns.keys()[0]


class ToolRow(SQLModel, table=True):
    __tablename__ = "tools"
    id: str = Field(primary_key=True)
    name: str = Field(index=True)
    source: str = Field(index=True)
    origin: str = Field(index=True)
    category: str | None = Field(default=None, index=True)
    domain: str | None = Field(default=None, index=True)
    fingerprint: str = Field(index=True)
    # "ok", "rejected" (invalid: `reason` says why) or "duplicate" (of `duplicate_of`).
    status: str = Field(default="ok", index=True)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    duplicate_of: str | None = Field(default=None, index=True)
    content_hash: str = ""
    data: dict[str, Any] = Field(sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=utcnow)


class AgentRow(SQLModel, table=True):
    __tablename__ = "agents"
    id: str = Field(primary_key=True)
    domain: str = Field(default="", index=True)
    data: dict[str, Any] = Field(sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=utcnow)


class TaskRow(SQLModel, table=True):
    __tablename__ = "tasks"
    id: str = Field(primary_key=True)
    agent_id: str = Field(index=True)
    difficulty: str = Field(index=True)
    domain: str = Field(default="", index=True)
    source: str = Field(default="", index=True)
    data: dict[str, Any] = Field(sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=utcnow)


# A task's attempts under one run: what sampling reads, a batch of tasks at a time. Without it
# SQLite (no statistics) answers `run_key = ? AND task_id IN (...)` from the run_key index, which in
# a run's store holds every trajectory: each batch's reads scanned the whole run so far. It leads
# with task_id, so it serves lookups by task alone too (stores made before it also have
# `ix_trajectories_task_id`).
TASK_ATTEMPTS = Index("ix_trajectories_task_run_attempt", "task_id", "run_key", "attempt")


class TrajectoryRow(SQLModel, table=True):
    __tablename__ = "trajectories"
    __table_args__ = (TASK_ATTEMPTS,)
    id: str = Field(primary_key=True)
    task_id: str
    attempt: int
    run_key: str = Field(default="", index=True)
    end_reason: str = Field(index=True)
    data: dict[str, Any] = Field(sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=utcnow)


class VerdictRow(SQLModel, table=True):
    __tablename__ = "verdicts"
    id: str = Field(primary_key=True)
    trajectory_id: str = Field(index=True)
    judge_key: str = Field(default="", index=True)
    accepted: bool = Field(index=True)
    score: float
    data: dict[str, Any] = Field(sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=utcnow)


class RunRow(SQLModel, table=True):
    """One run of a stage or pipeline: its config, its fingerprint and its running totals."""

    __tablename__ = "runs"
    id: str = Field(primary_key=True)
    kind: str = Field(index=True)
    config_fingerprint: str = Field(index=True)
    config: dict[str, Any] = Field(sa_column=Column(JSON))
    status: str = "running"
    stats: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    started_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LLMCacheRow(SQLModel, table=True):
    """A model response keyed by the hash of its request, so a resumed run pays nothing twice."""

    __tablename__ = "llm_cache"
    key: str = Field(primary_key=True)
    model: str = Field(index=True)
    response: dict[str, Any] = Field(sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)


class LLMCallRow(SQLModel, table=True):
    """Accounting for one model call (or cache hit): tokens, cost, latency, outcome."""

    __tablename__ = "llm_calls"
    id: str = Field(primary_key=True)
    run_id: str = Field(default="", index=True)
    role: str = Field(default="", index=True)
    model: str = Field(index=True)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    retries: int = 0
    cached: bool = False
    ok: bool = True
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)


class FailureRow(SQLModel, table=True):
    """Anything that failed is a row too: the stage, the item, the reason and the raw output."""

    __tablename__ = "failures"
    id: str = Field(primary_key=True)
    run_id: str = Field(default="", index=True)
    stage: str = Field(index=True)
    item_id: str = Field(default="", index=True)
    reason: str = Field(sa_column=Column(Text))
    raw: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)


class WorkUnitRow(SQLModel, table=True):
    """A unit of work a node finished (a cluster run): which node made what, and how fast.

    Keyed by the unit's deterministic id: a unit re-run after its node died is one row, naming
    the node that finished it."""

    __tablename__ = "work_units"
    id: str = Field(primary_key=True)
    run_id: str = Field(default="", index=True)
    stage: str = Field(index=True)
    node: str = Field(index=True)
    tasks: int = 0
    trajectories: int = 0  # made by this node (not found stored)
    verdicts: int = 0
    seconds: float = 0.0
    finished_at: datetime = Field(default_factory=utcnow)


class RunLockRow(SQLModel, table=True):
    """Who drives a run now (`pipeline/runlock.py`): one row per live run, its holder's host, pid
    and a random token, and a heartbeat the holder refreshes. Times are the store's own clock
    (seconds since the epoch), so machines with skewed clocks judge staleness alike."""

    __tablename__ = "run_locks"
    run: str = Field(primary_key=True)
    token: str
    host: str
    pid: int
    acquired_at: float
    heartbeat_at: float


# Indexes added to a table after stores with that table existed: `create_all` makes a missing table
# with all its indexes but adds nothing to a table that exists, so the store adds these on open.
ADDED_INDEXES = (TASK_ATTEMPTS,)
