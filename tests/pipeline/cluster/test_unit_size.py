"""How many tasks a cluster work unit holds."""

from __future__ import annotations

import math

import pytest

from toolforge.pipeline.cluster.units import MAX_UNIT, MIN_UNIT, unit_size


@pytest.mark.parametrize(
    ("count", "nodes", "size"),
    [
        (48, 2, MIN_UNIT),  # a small offline run: units of 8, not of 1 or 2
        (18, 3, 6),  # fewer tasks than 8 a node: one unit each, every node busy
        (3, 3, 1),
        (1, 4, 1),
        (100_000, 10, MAX_UNIT),  # a large run: capped, so a lost node loses little
        (4_000, 10, 100),  # in between: about four units a node
    ],
)
def test_unit_size(count: int, nodes: int, size: int) -> None:
    assert unit_size(count, nodes) == size


@pytest.mark.parametrize("count", [1, 7, 18, 48, 200, 5_000])
@pytest.mark.parametrize("nodes", [1, 2, 3, 16])
def test_every_node_gets_work_when_there_is_enough(count: int, nodes: int) -> None:
    units = math.ceil(count / unit_size(count, nodes))
    assert units >= min(count, nodes)
