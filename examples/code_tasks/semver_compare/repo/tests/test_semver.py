import pytest

from versions import compare, parse


def test_equal():
    assert compare("1.2.3", "1.2.3") == 0


def test_simple_order():
    assert compare("1.2.3", "1.2.4") == -1
    assert compare("2.0.0", "1.9.9") == 1


def test_parse_rejects_garbage():
    with pytest.raises(ValueError):
        parse("1.2")


def test_numeric_not_lexicographic():
    assert compare("1.10.0", "1.9.0") == 1


def test_prerelease_before_release():
    assert compare("2.0.0-rc.1", "2.0.0") == -1
    assert compare("2.0.0", "2.0.0-rc.1") == 1
