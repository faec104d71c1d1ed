"""Records ↔ rows: which table holds each core type, and which columns are indexed copies."""

from __future__ import annotations

from typing import Any, TypeVar, overload

from toolforge.core.ids import digest
from toolforge.core.store.tables import AgentRow, TaskRow, ToolRow, TrajectoryRow, VerdictRow
from toolforge.core.types import Agent, Record, Task, ToolSpec, Trajectory, Verdict

R = TypeVar("R", bound=Record)

# The tables that hold records: each has an `id` primary key and the whole record in `data`.
RecordRow = ToolRow | AgentRow | TaskRow | TrajectoryRow | VerdictRow

TABLE_OF: dict[type[Record], type[RecordRow]] = {
    ToolSpec: ToolRow,
    Agent: AgentRow,
    Task: TaskRow,
    Trajectory: TrajectoryRow,
    Verdict: VerdictRow,
}


# The record fields each table copies into indexed columns of the same name.
INDEXED: dict[type[Record], tuple[str, ...]] = {
    ToolSpec: ("name", "source", "origin", "category", "domain", "fingerprint"),
    Agent: ("domain",),
    Task: ("agent_id", "difficulty", "domain", "source"),
    Trajectory: ("task_id", "attempt", "run_key", "end_reason"),
    Verdict: ("trajectory_id", "judge_key", "accepted", "score"),
}


@overload
def to_row(record: ToolSpec, **columns: Any) -> ToolRow: ...
@overload
def to_row(record: Agent, **columns: Any) -> AgentRow: ...
@overload
def to_row(record: Task, **columns: Any) -> TaskRow: ...
@overload
def to_row(record: Trajectory, **columns: Any) -> TrajectoryRow: ...
@overload
def to_row(record: Verdict, **columns: Any) -> VerdictRow: ...
@overload
def to_row(record: Record, **columns: Any) -> RecordRow: ...
def to_row(record: Record, **columns: Any) -> RecordRow:
    """The row for a record; `columns` sets non-derived columns (a tool's status, for one)."""
    if not isinstance(record, ToolSpec | Agent | Task | Trajectory | Verdict):
        raise TypeError(f"no table stores {type(record).__name__}")
    kind = next(k for k in TABLE_OF if isinstance(record, k))
    data = record.model_dump(mode="json")
    indexed = {name: getattr(record, name) for name in INDEXED[kind]}
    if isinstance(record, ToolSpec):  # a tool's content hash tells a changed tool from a resent one
        indexed["content_hash"] = digest(data)
    return TABLE_OF[kind](id=record.id, **indexed, data=data, **columns)


def from_row(kind: type[R], row: RecordRow) -> R:
    return kind.model_validate(row.data)
