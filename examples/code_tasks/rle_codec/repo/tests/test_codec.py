import pytest

from rle import decode, encode


def test_encode():
    assert encode("aaab") == "3a1b"


def test_encode_rejects_digits():
    with pytest.raises(ValueError):
        encode("a1")


def test_decode_single_digit_counts():
    assert decode("3a1b") == "aaab"


def test_decode_multi_digit_counts():
    assert decode("12a3b") == "a" * 12 + "bbb"


def test_round_trip_long_runs():
    text = "x" * 25 + "y" + "z" * 100
    assert decode(encode(text)) == text
