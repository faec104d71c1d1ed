"""A run's export streams its records from the store in batches (issue 19, the 100,000-trajectory
bench): the dataset is the one the whole-list export writes, row for row, and no batch outlives
the next."""

from __future__ import annotations

import gc
import json
import weakref
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
from pipeline_configs import small

from toolforge.core.store import Store
from toolforge.core.types import Agent, ToolSpec
from toolforge.export import ExportRecord, export_batches, export_records, load_records, record_batches
from toolforge.pipeline import parse_config, run_pipeline

FORMATS = ["openai", "sharegpt", "parquet", "k2"]


def about_300(workspace: Path) -> dict[str, object]:
    """5 agents × 3 difficulties × 10 tasks × 2 attempts, both always played; multi-call attempts
    blow a tiny token budget, so the filter drops some."""
    return small(
        workspace,
        agents={"count": 5, "min_tools": 3, "max_tools": 5},
        tasks={"difficulties": ["single_call", "multi_call", "recovery"], "per_difficulty": 10},
        sampling={"attempts": 2, "stop_after_accepted": 2},
        export={"formats": FORMATS},
    )


def same_files(a: Path, b: Path) -> None:
    for name in ("openai.jsonl", "sharegpt.jsonl", "k2.jsonl"):
        assert (a / name).read_text(encoding="utf-8") == (b / name).read_text(encoding="utf-8"), name
    for name in ("data/train.parquet", "data/sharegpt/train.parquet", "data/k2/train.parquet"):
        assert pq.read_table(a / name).to_pylist() == pq.read_table(b / name).to_pylist(), name
    assert json.loads((a / "stats.json").read_text()) == json.loads((b / "stats.json").read_text())
    for png in sorted((a / "figures").iterdir()):
        assert png.read_bytes() == (b / "figures" / png.name).read_bytes(), png.name


async def test_a_runs_streamed_export_is_the_whole_list_export_row_for_row(tmp_path: Path) -> None:
    cfg = parse_config(about_300(tmp_path / "ws"))
    result = await run_pipeline(cfg, progress=False)
    stats = result.export.stats
    assert stats["considered"] >= 280 and 0 < stats["exported"] < stats["considered"]

    store = Store(cfg.store_url())
    run = store.get_run("pipeline:small")
    assert run is not None and run.stats is not None
    records = load_records(store, run_key=run.stats["run_key"], judge_key=run.stats["judge_key"])
    store.close()
    assert sorted(r.id for r in records) == run.stats["trajectory_ids"]
    before = export_records(records, tmp_path / "whole", cfg.export, sampling=run.stats["sampling"])
    same_files(cfg.dataset_dir(), before.out_dir)
    assert before.stats == stats


async def test_batches_are_read_at_the_size_asked_and_the_export_lets_each_one_go(tmp_path: Path) -> None:
    cfg = parse_config(about_300(tmp_path / "ws"))
    await run_pipeline(cfg, progress=False)
    store = Store(cfg.store_url())
    run = store.get_run("pipeline:small")
    assert run is not None and run.stats is not None
    records = load_records(store, run_key=run.stats["run_key"], judge_key=run.stats["judge_key"])
    judged = [(r.id, r.verdict.id) for r in records if r.verdict is not None]
    agents = {a.id: a for a in store.list(Agent)}
    tools = {t.id: t for t in store.list(ToolSpec)}

    sizes = [len(b) for b in record_batches(store, judged, agents, tools, batch_size=40)]
    assert max(sizes) == 40 and sum(sizes) == len(judged) and len(sizes) == -(-len(judged) // 40)

    alive: list[list[weakref.ref[ExportRecord]]] = []

    def watched() -> Iterator[list[ExportRecord]]:
        for batch in record_batches(store, judged, agents, tools, batch_size=40):
            gc.collect()
            # two batches back must be gone: the export holds the batch it writes, no more
            assert len(alive) < 2 or not any(ref() for ref in alive[-2]), "an earlier batch is still held"
            alive.append([weakref.ref(r) for r in batch])
            yield batch

    streamed = export_batches(watched(), tmp_path / "streamed", cfg.export)
    store.close()
    whole = export_records(records, tmp_path / "whole", cfg.export)
    assert len(alive) == len(sizes) > 5
    same_files(streamed.out_dir, whole.out_dir)
