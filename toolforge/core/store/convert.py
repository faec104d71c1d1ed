"""Records ↔ rows: which table holds each core type, and which columns are indexed copies."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import SQLModel

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


def to_row(record: Record, **columns: Any) -> SQLModel:
    """The row for a record; `columns` sets non-derived columns (a tool's status, for one)."""
    data = record.model_dump(mode="json")
    match record:
        case ToolSpec():
            return ToolRow(
                id=record.id,
                name=record.name,
                source=record.source,
                origin=record.origin,
                category=record.category,
                domain=record.domain,
                fingerprint=record.fingerprint,
                content_hash=digest(data),
                data=data,
                **columns,
            )
        case Agent():
            return AgentRow(id=record.id, domain=record.domain, data=data, **columns)
        case Task():
            return TaskRow(
                id=record.id,
                agent_id=record.agent_id,
                difficulty=record.difficulty,
                domain=record.domain,
                source=record.source,
                data=data,
                **columns,
            )
        case Trajectory():
            return TrajectoryRow(
                id=record.id,
                task_id=record.task_id,
                attempt=record.attempt,
                run_key=record.run_key,
                end_reason=record.end_reason,
                data=data,
                **columns,
            )
        case Verdict():
            return VerdictRow(
                id=record.id,
                trajectory_id=record.trajectory_id,
                judge_key=record.judge_key,
                accepted=record.accepted,
                score=record.score,
                data=data,
                **columns,
            )
    raise TypeError(f"no table stores {type(record).__name__}")


def from_row(kind: type[R], row: RecordRow) -> R:
    return kind.model_validate(row.data)
