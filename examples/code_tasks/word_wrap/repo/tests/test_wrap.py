import pytest

from layout import wrap


def test_empty():
    assert wrap("", 10) == []


def test_fits_on_one_line():
    assert wrap("hello world", 20) == ["hello world"]


def test_bad_width():
    with pytest.raises(ValueError):
        wrap("x", 0)


def test_never_exceeds_width():
    text = "the quick brown fox jumps over the lazy dog " * 5
    for width in range(5, 30):
        assert all(len(line) <= width or " " not in line for line in wrap(text, width))


def test_exact_boundary():
    assert wrap("aaaa bbbb", 8) == ["aaaa", "bbbb"]
    assert wrap("aaaa bbbb", 9) == ["aaaa bbbb"]
