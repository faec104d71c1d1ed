"""Write a dataset: filter the records, write each format, then the card and its numbers.

Files are written to a unique temporary name and renamed into place (`atomic.py`), in id order, with no timestamps:
the same records give the same bytes (except Parquet's internal metadata), so a re-export after
a crash or a resumed run leaves exactly what an uninterrupted run leaves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from judges.audit import audit_rows
from toolforge.core.store import Store
from toolforge.export.atomic import write_atomic, write_text_atomic
from toolforge.export.card import FILES, render_card, upsert_section
from toolforge.export.config import ExportConfig
from toolforge.export.formats import k2_line, openai_line, parquet_table, sharegpt_line
from toolforge.export.records import ExportRecord, keep, load_records
from toolforge.export.stats import dataset_stats


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    files: dict[str, Path]
    stats: dict[str, Any]

    @property
    def card(self) -> Path:
        return self.out_dir / "README.md"


def _jsonl(lines: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def export_records(
    records: list[ExportRecord],
    out_dir: Path,
    cfg: ExportConfig,
    provenance: dict[str, Any] | None = None,
    sampling: dict[str, Any] | None = None,
) -> ExportResult:
    """Filter `records` and write every configured format, the card and `stats.json` to `out_dir`.

    `sampling` (a `judges.SamplingStats` as JSON) adds the rejection-sampling numbers to the card.
    """
    considered = sorted(records, key=lambda r: r.id)
    dropped: dict[str, int] = {}
    exported: list[ExportRecord] = []
    for record in considered:
        why = keep(record, cfg.filter)
        if why is None:
            exported.append(record)
        else:
            dropped[why] = dropped.get(why, 0) + 1

    out_dir.mkdir(parents=True, exist_ok=True)
    openai_rows = [openai_line(r) for r in exported]  # written as openai.jsonl and audited
    files: dict[str, Path] = {}
    sharegpt_dropped = 0
    for fmt in cfg.formats:
        path = out_dir / FILES[fmt][1]
        files[fmt] = path
        if fmt == "openai":
            write_text_atomic(path, _jsonl(openai_rows))
        elif fmt == "k2":
            write_text_atomic(path, _jsonl(k2_line(r) for r in exported))
        elif fmt == "sharegpt":
            lines = []
            for record in exported:
                line, dropped_texts = sharegpt_line(record)
                lines.append(line)
                sharegpt_dropped += dropped_texts
            write_text_atomic(path, _jsonl(lines))
        else:
            table = parquet_table(exported)
            write_atomic(path, lambda tmp, table=table: pq.write_table(table, tmp))

    stats = dataset_stats(exported, considered, dropped, sharegpt_dropped)
    stats["formats"] = list(cfg.formats)
    if sampling is not None:
        stats["sampling"] = sampling
    # The card carries the audit of the rows exactly as exported (the same as `toolforge audit`).
    audit = audit_rows(openai_rows)
    stats["audit"] = audit.model_dump(mode="json")
    write_text_atomic(out_dir / "stats.json", json.dumps(stats, indent=2, sort_keys=True) + "\n")
    card = upsert_section(render_card(cfg, stats, provenance or {}), audit.markdown())
    write_text_atomic(out_dir / "README.md", card)
    return ExportResult(out_dir=out_dir, files=files, stats=stats)


def export_store(
    store: Store,
    out_dir: Path,
    cfg: ExportConfig,
    *,
    run_key: str | None = None,
    judge_key: str | None = None,
    provenance: dict[str, Any] | None = None,
) -> ExportResult:
    """Export what the store holds for `run_key` (all runs when None), judged under `judge_key`."""
    records = load_records(store, run_key=run_key, judge_key=judge_key)
    info = {"run_key": run_key, "judge_key": judge_key, **(provenance or {})}
    return export_records(records, out_dir, cfg, {k: v for k, v in info.items() if v is not None})
