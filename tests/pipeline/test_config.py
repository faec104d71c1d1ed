"""The pipeline config: strict keys with messages that name the fix, paths, stage keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_configs import small, write

from toolforge.core.errors import ConfigError
from toolforge.pipeline import load_config, parse_config
from toolforge.pipeline.fingerprint import changed_keys, changed_stages, semantic, stage_keys

REPO = Path(__file__).resolve().parents[2]


def test_unknown_keys_are_errors_that_name_the_key_and_suggest(tmp_path: Path) -> None:
    data = small(tmp_path)
    data["judges"]["rubric"]["enabeld"] = True
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    message = str(err.value)
    assert "unknown key 'judges.rubric.enabeld'" in message
    assert "did you mean 'enabled'?" in message and "allowed here:" in message

    with pytest.raises(ConfigError, match="unknown key 'rollout'.*did you mean 'rollouts'"):
        parse_config({**small(tmp_path), "rollout": {}})


def test_missing_and_invalid_values_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing key 'name'"):
        parse_config({})
    with pytest.raises(ConfigError, match="sampling.attempts"):
        parse_config({**small(tmp_path), "sampling": {"attempts": 0}})
    with pytest.raises(ConfigError, match="under tools.toolkits"):
        parse_config({**small(tmp_path), "tasks": {"toolkits": ["x.py:X"]}})
    with pytest.raises(ConfigError, match="models.judge is not set"):
        parse_config({**small(tmp_path), "judges": {}})


def test_a_file_that_is_not_a_mapping_or_missing_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(tmp_path / "list.yaml")


def test_input_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    data = small(tmp_path)
    data["tools"] = {"servers": "servers.json"}
    cfg = load_config(write(tmp_path / "sub.yaml", data))
    assert cfg.input_path("servers.json") == tmp_path / "servers.json"


def test_stage_keys_change_only_downstream_of_the_change(tmp_path: Path) -> None:
    base = parse_config(small(tmp_path))
    keys = stage_keys(base)
    judged = parse_config(
        {**small(tmp_path), "judges": {"accept_threshold": 0.9, "rubric": {"enabled": False}}}
    )
    assert changed_stages(keys, stage_keys(judged)) == ["judges", "selection", "export"]
    more = small(tmp_path)
    more["agents"]["count"] = 4
    assert changed_stages(keys, stage_keys(parse_config(more)))[0] == "agents"
    faster = small(tmp_path)
    faster["rollouts"]["max_in_flight"] = 2
    assert changed_stages(keys, stage_keys(parse_config(faster))) == []


def test_changed_keys_are_listed_with_old_and_new_values(tmp_path: Path) -> None:
    old = semantic(parse_config(small(tmp_path)).model_dump(mode="json"))
    data = small(tmp_path)
    data["sampling"]["attempts"] = 5
    new = semantic(parse_config(data).model_dump(mode="json"))
    assert changed_keys(old, new) == ["sampling.attempts: 3 → 5"]


@pytest.mark.parametrize("name", ["offline.yaml", "openai.yaml"])
def test_the_example_configs_load(name: str) -> None:
    cfg = load_config(REPO / "examples" / "pipelines" / name)
    assert cfg.tools.servers is not None and cfg.input_path(cfg.tools.servers).exists()
