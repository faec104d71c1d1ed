"""Export formats, filters and the dataset card, from a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
from export_fixtures import build
from jsonschema import Draft202012Validator

from toolforge.core.k2_chat import render_k2
from toolforge.core.store import Store
from toolforge.export import ExportConfig, ExportFilter, export_store, read_openai_jsonl


@pytest.fixture
def exported(sqlite_store: Store, tmp_path: Path):  # type: ignore[no-untyped-def]
    built = build(sqlite_store)
    result = export_store(sqlite_store, tmp_path / "out", ExportConfig(), run_key="run1", judge_key="j1")
    return built, result


def test_openai_jsonl_round_trips_into_our_types(exported) -> None:  # type: ignore[no-untyped-def]
    built, result = exported
    lines = list(read_openai_jsonl(result.files["openai"]))
    by_id = {t.id: t for t in built["trajectories"]}
    assert [c.id for c in lines] == sorted(t.id for t in built["trajectories"] if t.end_reason == "user_stop")
    for conv in lines:
        original = by_id[conv.id]
        assert [m.model_copy(update={"is_error": None}) for m in original.messages] == conv.messages
        assert conv.tools == original.tools
        assert conv.metadata["judge"]["accepted"] is True
        assert conv.metadata["task_id"] == original.task_id
    raw = json.loads(result.files["openai"].read_text().splitlines()[0])
    assert set(raw) == {"id", "messages", "tools", "metadata"}
    # every assistant message carries "content", as OpenAI's format has it
    assert all("content" in m for m in raw["messages"] if m["role"] == "assistant")


def test_every_exported_tool_call_validates_against_its_tool(exported) -> None:  # type: ignore[no-untyped-def]
    _, result = exported
    calls = 0
    for conv in read_openai_jsonl(result.files["openai"]):
        schemas = {t["function"]["name"]: t["function"]["parameters"] for t in conv.tools}
        for message in conv.messages:
            for call in message.tool_calls or []:
                Draft202012Validator(schemas[call.name]).validate(call.parsed_arguments())
                calls += 1
    assert calls == 5


def test_parquet_opens_with_datasets(exported) -> None:  # type: ignore[no-untyped-def]
    built, result = exported
    ds = datasets.load_dataset(str(result.out_dir), split="train")
    assert ds.num_rows == 3
    plain = datasets.load_dataset("parquet", data_files=str(result.files["parquet"]), split="train")
    assert plain.num_rows == 3
    row = next(r for r in ds if r["messages"][0]["role"] == "system")
    traj = next(t for t in built["trajectories"] if t.id == row["id"])
    assert [m["role"] for m in row["messages"]] == [m.role for m in traj.messages]
    assert row["messages"][2]["tool_calls"][1]["function"]["name"] == "get_weather"
    assert json.loads(row["tools"]) == traj.tools
    assert row["domain"] == "weather" and row["accepted"] and row["tool_sources"] == ["mcp"]


def test_k2_text_is_the_canonical_rendering(exported) -> None:  # type: ignore[no-untyped-def]
    built, result = exported
    by_id = {t.id: t for t in built["trajectories"]}
    for line in map(json.loads, result.files["k2"].read_text().splitlines()):
        traj = by_id[line["id"]]
        assert line["text"] == render_k2([m.openai() for m in traj.messages], traj.tools)
        assert "<|tool_calls_section_begin|>" in line["text"]


def test_sharegpt_has_function_call_and_observation_turns(exported) -> None:  # type: ignore[no-untyped-def]
    _, result = exported
    lines = [json.loads(x) for x in result.files["sharegpt"].read_text().splitlines()]
    for line in lines:
        roles = [t["from"] for t in line["conversations"]]
        # human/observation on odd positions, gpt/function_call on even ones (LLaMA-Factory's rule)
        assert all(r in ("human", "observation") for r in roles[0::2]), roles
        assert all(r in ("gpt", "function_call") for r in roles[1::2]), roles
        assert json.loads(line["tools"])[0]["name"]
    parallel = next(x for x in lines if x["system"])
    call = json.loads(parallel["conversations"][1]["value"])
    assert [c["name"] for c in call] == ["get_weather", "get_weather"]
    assert json.loads(parallel["conversations"][2]["value"]) == ['{"temp": 18}', '{"temp": 4}']
    assert result.stats["sharegpt_texts_dropped"] == 1


def test_the_card_reports_counts_histogram_and_coverage(exported) -> None:  # type: ignore[no-untyped-def]
    _, result = exported
    card = result.card.read_text()
    stats = json.loads((result.out_dir / "stats.json").read_text())
    assert stats["exported"] == 3 and stats["considered"] == 4
    assert stats["dropped_by_filter"] == {"accepted_only": 1}
    assert sum(stats["score_histogram"]) == 3 and stats["score_histogram"][9] == 1
    assert stats["tools"]["get_weather"] == {"calls": 2, "trajectories": 1}
    assert stats["domains"]["weather"]["tasks"] == 2
    for needle in [
        "| trajectories exported | 3 |",
        "| get_weather | 2 | 1 |",
        "| weather | 2 | 2 |",
        "config_name: default",
    ]:
        assert needle in card
    assert "0.9–1.0 | 1 |" in card


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (ExportFilter(accepted_only=False), 4),
        (ExportFilter(min_score=0.8), 2),
        (ExportFilter(domains=["office"]), 1),
        (ExportFilter(tool_sources=["synthetic"]), 1),
        (ExportFilter(task_sources=["blueprint"]), 3),
        (ExportFilter(task_sources=["model"]), 0),
    ],
)
def test_filters_select_what_they_say(
    sqlite_store: Store, tmp_path: Path, flt: ExportFilter, expected: int
) -> None:
    build(sqlite_store)
    result = export_store(sqlite_store, tmp_path / "out", ExportConfig(filter=flt), judge_key="j1")
    assert result.stats["exported"] == expected
    assert len(result.files["openai"].read_text().splitlines()) == expected


def test_exports_are_byte_identical_when_repeated(sqlite_store: Store, tmp_path: Path) -> None:
    build(sqlite_store)
    cfg = ExportConfig(formats=["openai", "sharegpt", "k2"])
    first = export_store(sqlite_store, tmp_path / "a", cfg, judge_key="j1")
    second = export_store(sqlite_store, tmp_path / "b", cfg, judge_key="j1")
    for name in ["openai.jsonl", "sharegpt.jsonl", "k2.jsonl", "README.md", "stats.json"]:
        assert (first.out_dir / name).read_bytes() == (second.out_dir / name).read_bytes()


def test_several_judge_keys_need_a_choice(sqlite_store: Store, tmp_path: Path) -> None:
    build(sqlite_store)
    build(sqlite_store, judge_key="j2")
    with pytest.raises(ValueError, match="judge_key"):
        export_store(sqlite_store, tmp_path / "out", ExportConfig())
