"""`toolforge generate` end to end on a small blueprint config: stages, resume, change reports,
and a dataset whose every tool call validates against its tool's schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
import yaml
from jsonschema import Draft202012Validator
from pipeline_configs import REPO, small, write
from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.store import RunRow, Store
from toolforge.core.types import Agent, Trajectory, Verdict
from toolforge.export import read_openai_jsonl
from toolforge.pipeline import parse_config, run_pipeline

runner = CliRunner()


def flat(text: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(text.split())


async def test_a_run_goes_through_every_stage_and_samples_again_after_rejections(tmp_path: Path) -> None:
    cfg = parse_config(small(tmp_path / "ws"))
    result = await run_pipeline(cfg)
    reports = {r.name: r for r in result.reports}
    assert list(reports) == ["tools", "agents", "tasks", "rollouts", "judges", "selection", "export"]
    assert reports["agents"].new == 3 and reports["tasks"].total == 18
    stats = result.sampling
    # multi_call attempts blow the tiny token budget: three attempts each, all rejected
    multi = stats.by_difficulty["multi_call"]
    assert multi.tasks == 6 and multi.attempts == 18 and multi.accepted == 0
    assert (
        stats.by_difficulty["single_call"].attempts == 6 and stats.by_difficulty["single_call"].accepted == 6
    )
    assert stats.failures_by_check == {"rules": 18}
    assert stats.pass_at == {1: 12 / 18, 2: 12 / 18, 3: 12 / 18}
    assert reports["rollouts"].total == reports["judges"].total == stats.attempts == 30
    assert result.export.stats["exported"] == 12

    store = Store(cfg.store_url())
    assert len(store.ids(Trajectory)) == 30 and len(store.ids(Verdict)) == 30
    run = store.get_run("pipeline:small")
    assert (
        isinstance(run, RunRow) and run.status == "finished" and run.config_fingerprint == result.fingerprint
    )
    store.close()


def validated_calls(conversations: list[Any]) -> int:
    """How many tool calls the conversations hold; each one's arguments must validate against the
    schema of the tool it names (raises otherwise)."""
    calls = 0
    for conv in conversations:
        schemas = {t["function"]["name"]: t["function"]["parameters"] for t in conv.tools}
        for message in conv.messages:
            for call in message.tool_calls or []:
                Draft202012Validator(schemas[call.name]).validate(call.parsed_arguments())
                calls += 1
    return calls


async def test_every_exported_tool_call_validates_and_parquet_opens(tmp_path: Path) -> None:
    cfg = parse_config(small(tmp_path / "ws"))
    result = await run_pipeline(cfg)
    conversations = list(read_openai_jsonl(result.export.files["openai"]))
    assert len(conversations) == 12
    assert all(conv.metadata["judge"]["accepted"] for conv in conversations)
    assert validated_calls(conversations) >= 12
    ds = datasets.load_dataset(str(result.export.out_dir), split="train")
    assert ds.num_rows == 12 and set(ds["id"]) == {c.id for c in conversations}
    card = result.export.card.read_text()
    assert "## Rejection sampling" in card and "| multi_call | 6 | 0 | 18 | 0 | rules 18 |" in card


def test_the_cli_resumes_and_reports_changes(tmp_path: Path) -> None:
    data = small(tmp_path / "ws")
    config = write(tmp_path / "pipeline.yaml", data)
    first = runner.invoke(app, ["generate", "--config", str(config), "--no-progress"])
    assert first.exit_code == 0, first.output
    assert "new run 'small'" in flat(first.output) and "dataset: 12 trajectories" in flat(first.output)

    again = runner.invoke(app, ["generate", "--config", str(config), "--no-progress"])
    assert again.exit_code == 0, again.output
    assert "resuming run 'small' (same config, last run finished)" in flat(again.output)
    rows = {line.split("│")[1].strip(): line for line in again.output.splitlines() if line.count("│") > 3}
    assert "│    30 │           30 │   0 │" in rows["rollouts"]

    data["judges"]["accept_threshold"] = 0.5
    changed = runner.invoke(
        app, ["generate", "--config", str(write(tmp_path / "pipeline.yaml", data)), "--no-progress"]
    )
    assert changed.exit_code == 0, changed.output
    assert "judges.accept_threshold: 0.7 → 0.5" in flat(changed.output)
    assert "stages redone from: judges" in flat(changed.output)
    rows = {line.split("│")[1].strip(): line for line in changed.output.splitlines() if line.count("│") > 3}
    assert "│    30 │           30 │   0 │" in rows["rollouts"]  # nothing rolled out again
    assert "│    30 │            0 │  30 │" in rows["judges"]  # everything judged again


def test_cli_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    data = small(tmp_path / "ws")
    data["sampling"]["atempts"] = 2
    result = runner.invoke(app, ["generate", "--config", str(write(tmp_path / "bad.yaml", data))])
    assert result.exit_code == 2
    assert "unknown key 'sampling.atempts'" in flat(result.output) and "Traceback" not in result.output
    missing = runner.invoke(app, ["generate", "--config", str(tmp_path / "missing.yaml")])
    assert missing.exit_code == 2 and "does not exist" in flat(missing.output)


def test_exported_lines_carry_the_judge_and_task_metadata(tmp_path: Path) -> None:
    config = write(tmp_path / "pipeline.yaml", small(tmp_path / "ws", export={"formats": ["openai"]}))
    assert runner.invoke(app, ["generate", "--config", str(config), "--no-progress"]).exit_code == 0
    line = json.loads((tmp_path / "ws" / "dataset" / "small" / "openai.jsonl").read_text().splitlines()[0])
    assert set(line) == {"id", "messages", "tools", "metadata"}
    assert line["metadata"]["difficulty"] in {"single_call", "recovery"}
    assert line["metadata"]["tool_sources"] == ["python"]
    assert not (tmp_path / "ws" / "dataset" / "small" / "sharegpt.jsonl").exists()


def test_export_of_a_generate_run_by_name(tmp_path: Path) -> None:
    config = write(tmp_path / "pipeline.yaml", small(tmp_path / "ws"))
    assert runner.invoke(app, ["generate", "--config", str(config), "--no-progress"]).exit_code == 0
    db = f"sqlite:///{tmp_path / 'ws' / 'toolforge.db'}"
    out = tmp_path / "all"
    result = runner.invoke(
        app, ["export", "--db", db, "--run", "small", "--all", "--out", str(out), "-f", "openai"]
    )
    assert result.exit_code == 0, result.output
    assert "30 of 30 trajectories exported" in flat(result.output)
    assert len((out / "openai.jsonl").read_text().splitlines()) == 30


async def test_the_offline_example_on_the_mcp_servers_exports_schema_valid_calls(tmp_path: Path) -> None:
    """The demo's config (example MCP servers, blueprint tasks), judged without the model."""
    data = yaml.safe_load((REPO / "examples" / "pipelines" / "offline.yaml").read_text())
    data["workspace"] = str(tmp_path / "ws")
    data["judges"]["rubric"] = {"enabled": False}
    cfg = parse_config(data, base_dir=REPO / "examples" / "pipelines")
    result = await run_pipeline(cfg)
    assert {r.name: r.total for r in result.reports}["tools"] == 69
    conversations = list(read_openai_jsonl(result.export.files["openai"]))
    assert len(conversations) == result.export.stats["exported"] > 0
    assert validated_calls(conversations) >= len(conversations)
    # every agent's domain is played (nine agents over the six servers' domains: not all six)
    store = Store(cfg.store_url())
    try:
        domains = {agent.domain for agent in store.list(Agent)}
    finally:
        store.close()
    assert len(domains) >= 3 and set(result.sampling.by_domain) == domains
