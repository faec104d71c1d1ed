"""One way of splitting work, for worker processes on one machine and for nodes of a Ray cluster.

A `WorkUnit` is a handful of tasks and the attempt to play them to. Task i of the list goes to
unit i mod parts, and a unit's id is a hash of what it holds, so the same pending work splits
into the same units, with the same ids, on every run. Results are keyed by their own ids
(trajectory and verdict ids do not depend on which unit or which machine made them), so a unit
that is run twice — its node died, or the driver was restarted — adds nothing twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from toolforge.core.ids import content_id


@dataclass(frozen=True)
class WorkUnit:
    id: str
    stage: str
    attempt: int  # play attempts 0..attempt of each task; the last one is this unit's
    task_ids: tuple[str, ...]


def split_work(stage: str, key: str, task_ids: Sequence[str], parts: int, attempt: int = 0) -> list[WorkUnit]:
    """`task_ids` in `parts` units (fewer when there are fewer tasks; none for no tasks)."""
    if parts < 1:
        raise ValueError(f"parts must be at least 1, got {parts}")
    units = []
    for i in range(min(parts, len(task_ids))):
        held = tuple(task_ids[i::parts])
        units.append(WorkUnit(content_id("unit", stage, key, attempt, held), stage, attempt, held))
    return units


def parts_of(count: int, unit_size: int) -> int:
    """How many units of at most `unit_size` tasks hold `count` tasks."""
    return max(1, math.ceil(count / max(1, unit_size)))
