import pytest

from confparse import parse


def test_sections_and_keys():
    assert parse("[a]\nx = 1\n[b]\ny=2\n") == {"a": {"x": "1"}, "b": {"y": "2"}}


def test_comments_and_blank_lines():
    assert parse("# top\n\n[a]\n; note\nx = 1\n") == {"a": {"x": "1"}}


def test_key_outside_section_raises():
    with pytest.raises(ValueError):
        parse("x = 1")


def test_value_with_equals():
    assert parse("[s]\nurl = http://x/?a=b&c=d\n") == {"s": {"url": "http://x/?a=b&c=d"}}


def test_inline_comment_stripped():
    assert parse("[s]\nport = 8080  # default\n") == {"s": {"port": "8080"}}
