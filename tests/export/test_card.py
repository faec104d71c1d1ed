"""The dataset card: Hub metadata, every declared config loads with `datasets`, a sample row,
PNG figures beside it, and a clear error for a config that matches no file."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
from export_fixtures import build

from toolforge.core.store import Store
from toolforge.export import ExportConfig, export_store
from toolforge.export.card import size_category
from toolforge.export.card_check import check_card_configs, front_matter
from toolforge.export.config import CardConfig
from toolforge.export.figures import pass_at_k
from toolforge.export.records import load_records

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def exported(sqlite_store: Store, tmp_path: Path) -> Path:
    build(sqlite_store)
    out = tmp_path / "dataset"
    cfg = ExportConfig(name="weather-office", card=CardConfig(license="apache-2.0", language=["en", "fr"]))
    export_store(sqlite_store, out, cfg, judge_key="j1")
    return out


def test_card_carries_the_hub_metadata(exported: Path) -> None:
    meta = front_matter(exported / "README.md")
    assert meta["license"] == "apache-2.0"
    assert meta["language"] == ["en", "fr"]
    assert meta["pretty_name"] == "weather-office"
    assert meta["task_categories"] == ["text-generation"]
    assert meta["size_categories"] == ["n<1K"]
    assert [c["config_name"] for c in meta["configs"]] == ["default", "sharegpt", "k2"]
    assert check_card_configs(exported) == ["default", "sharegpt", "k2"]


@pytest.mark.parametrize(
    ("config", "jsonl"), [("default", "openai.jsonl"), ("sharegpt", "sharegpt.jsonl"), ("k2", "k2.jsonl")]
)
def test_each_declared_config_loads_with_datasets(exported: Path, config: str, jsonl: str) -> None:
    ds = datasets.load_dataset(str(exported), config, split="train")
    lines = [json.loads(x) for x in (exported / jsonl).read_text().splitlines()]
    assert ds["id"] == [line["id"] for line in lines]
    if config == "sharegpt":
        assert ds[0]["conversations"] == lines[0]["conversations"]
    if config == "k2":
        assert ds["text"] == [line["text"] for line in lines]


def test_card_has_a_sample_row_and_png_figures(exported: Path) -> None:
    card = (exported / "README.md").read_text()
    first = json.loads((exported / "openai.jsonl").read_text().splitlines()[0])
    assert "## Sample row" in card and f'"id": "{first["id"]}"' in card
    assert "█" not in card
    figures = sorted(p.name for p in (exported / "figures").iterdir())
    assert figures == ["acceptance.png", "lengths.png", "scores.png", "tools.png"]
    for name in figures:
        assert (exported / "figures" / name).read_bytes()[:8] == PNG
        assert f"](figures/{name})" in card


def test_pass_at_k_per_domain_counts_tasks_not_attempts(sqlite_store: Store) -> None:
    build(sqlite_store)
    records = load_records(sqlite_store, judge_key="j1")
    # office: one task, attempt 0 rejected, attempt 1 accepted; weather: two tasks, both accepted first.
    assert pass_at_k(records, lambda r: r.domain) == {"office": {1: 0.0, 2: 1.0}, "weather": {1: 1.0}}


def test_size_categories_follow_the_hub_buckets() -> None:
    assert [size_category(n) for n in (0, 999, 1000, 54_321, 2_000_000)] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "10K<n<100K",
        "1M<n<10M",
    ]


def test_a_config_matching_no_file_is_named_with_the_fix(exported: Path) -> None:
    (exported / "data" / "k2" / "train.parquet").unlink()
    with pytest.raises(
        ValueError, match=r"config 'k2' declares 'data/k2/train.parquet'.*toolforge export --out"
    ):
        check_card_configs(exported)
    with pytest.raises(ValueError, match="has no README.md"):
        check_card_configs(exported / "data")
