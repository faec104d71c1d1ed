"""Work units: the same pending work splits into the same units with the same ids, every time."""

from __future__ import annotations

import pytest

from environments.episodes.work import parts_of, split_work


def test_units_are_round_robin_with_ids_that_name_their_content() -> None:
    ids = [f"task_{i}" for i in range(7)]
    units = split_work("episodes", "run_a", ids, 3, attempt=1)
    assert [u.task_ids for u in units] == [
        ("task_0", "task_3", "task_6"),
        ("task_1", "task_4"),
        ("task_2", "task_5"),
    ]
    assert all(u.attempt == 1 and u.stage == "episodes" for u in units)
    assert [u.id for u in units] == [u.id for u in split_work("episodes", "run_a", ids, 3, attempt=1)]
    assert len({u.id for u in units}) == 3
    # another attempt, run or stage is other work: other ids
    for other in (
        split_work("episodes", "run_a", ids, 3, attempt=2),
        split_work("episodes", "run_b", ids, 3, attempt=1),
        split_work("judges", "run_a", ids, 3, attempt=1),
    ):
        assert not {u.id for u in other} & {u.id for u in units}


def test_sizes_and_bad_input() -> None:
    assert split_work("episodes", "k", [], 4) == []
    assert len(split_work("episodes", "k", ["a", "b"], 4)) == 2
    assert parts_of(10, 4) == 3 and parts_of(0, 4) == 1 and parts_of(8, 4) == 2
    with pytest.raises(ValueError, match="at least 1"):
        split_work("episodes", "k", ["a"], 0)
