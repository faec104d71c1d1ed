import pytest

from numerals import from_roman, to_roman


def test_to_roman_basics():
    assert [to_roman(n) for n in (1, 4, 9, 14, 40, 90, 400, 1994)] == [
        "I",
        "IV",
        "IX",
        "XIV",
        "XL",
        "XC",
        "CD",
        "MCMXCIV",
    ]


def test_to_roman_range():
    with pytest.raises(ValueError):
        to_roman(0)


def test_from_roman_basics():
    assert from_roman("MCMXCIV") == 1994
    assert from_roman("XIV") == 14


def test_round_trip():
    assert all(from_roman(to_roman(n)) == n for n in range(1, 4000))


@pytest.mark.parametrize("bad", ["", "IIII", "IC", "ABC", "VX"])
def test_from_roman_rejects(bad):
    with pytest.raises(ValueError):
        from_roman(bad)
