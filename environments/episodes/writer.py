"""Committing finished trajectories: batched, off the event loop, as plain column dicts.

A `TrajectoryRow` model object costs far more to build and write than the same row as a dict
through `Store.upsert_values` (one compiled statement per table; `bench/store_writes.py`). At
hundreds of episodes in flight that was a sixth of the runner's CPU, taken from the event loop (the
write thread holds the GIL too). The dict holds exactly what `to_row(trajectory).model_dump()` holds.
"""

from __future__ import annotations

from typing import Any

from toolforge.core.store.tables import TrajectoryRow, utcnow
from toolforge.core.store.writer import QueuedWriter
from toolforge.core.types import Trajectory


def trajectory_values(traj: Trajectory) -> dict[str, Any]:
    """The `trajectories` row of `traj` as plain columns (what `to_row(traj).model_dump()` gives)."""
    return {
        "id": traj.id,
        "task_id": traj.task_id,
        "attempt": traj.attempt,
        "run_key": traj.run_key,
        "end_reason": traj.end_reason,
        "data": traj.model_dump(mode="json"),
        "updated_at": utcnow(),
    }


class TrajectoryWriter(QueuedWriter[dict[str, Any]]):
    """`await write(trajectory_values(traj))` returns once the row is committed (batched)."""

    def commit(self, items: list[dict[str, Any]]) -> None:
        self.store.upsert_values(TrajectoryRow, items)
