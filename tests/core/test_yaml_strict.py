"""Duplicate keys in a config are refused with both lines named, at any depth."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolforge.core.errors import ConfigError
from toolforge.core.yaml_strict import load_yaml
from toolforge.pipeline.loader import load_config
from toolforge.tools.servers import load_servers


def test_a_duplicated_section_names_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("name: a\nagents:\n  count: 2\ntasks:\n  per_difficulty: 1\nagents:\n  count: 9\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "'agents' appears twice" in message and "line 2 and line 6" in message and str(path) in message


def test_a_nested_duplicate_is_refused_and_distinct_keys_load() -> None:
    with pytest.raises(ConfigError, match=r"'count' appears twice .*line 2 and line 3"):
        load_yaml("agents:\n  count: 1\n  count: 2\n")
    assert load_yaml("a: {b: 1, c: [1, 2]}\nd: x\n") == {"a": {"b": 1, "c": [1, 2]}, "d": "x"}


def test_a_servers_json_with_a_server_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "servers.json"
    path.write_text('{"mcpServers": {"a": {"command": "x"}, "a": {"command": "y"}}}')
    with pytest.raises(ConfigError, match=r"\['a'\] appear twice"):
        load_servers(path)
