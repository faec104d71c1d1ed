import pytest

from spans import merge


def test_empty():
    assert merge([]) == []


def test_sorted_overlapping():
    assert merge([(1, 3), (2, 5), (7, 8)]) == [(1, 5), (7, 8)]


def test_bad_interval():
    with pytest.raises(ValueError):
        merge([(3, 1)])


def test_unsorted_input():
    assert merge([(5, 6), (1, 3), (2, 4)]) == [(1, 4), (5, 6)]


def test_touching_intervals_merge():
    assert merge([(1, 2), (2, 4)]) == [(1, 4)]
