"""How many tasks a work unit holds, for a count of tasks and of nodes.

A unit costs a Ray call on the driver (about 1 ms) and, on its node, a few indexed store queries
(its tasks' stored attempts, its round's trajectories and verdicts, its `work_units` row): tens
of ms, whatever its size. Units of a handful of offline episodes (milliseconds each) spent more
on that than on the episodes. Big units spread it; but a node that dies loses the units it
holds (at most two), and the last units decide when a round ends, so each node should see a
few. Hence: about `UNITS_PER_NODE` units per node, never under `MIN_UNIT` tasks (unless a node's
whole share is smaller) nor over `MAX_UNIT`.
"""

from __future__ import annotations

import math

UNITS_PER_NODE = 4
MIN_UNIT = 8
MAX_UNIT = 256


def unit_size(count: int, nodes: int) -> int:
    nodes = max(1, nodes)
    balanced = math.ceil(count / (UNITS_PER_NODE * nodes))
    share = max(1, count // nodes)  # a node's share, rounded down: every node gets a unit
    return max(1, min(MAX_UNIT, max(balanced, min(MIN_UNIT, share))))
