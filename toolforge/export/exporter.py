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

import pyarrow as pa
import pyarrow.parquet as pq

from judges.audit import audit_rows
from toolforge.core.store import Store
from toolforge.export.atomic import write_atomic, write_text_atomic
from toolforge.export.card import CONFIGS, FILES, render_card, upsert_section
from toolforge.export.config import ExportConfig
from toolforge.export.figures import write_figures
from toolforge.export.formats import (
    K2_SCHEMA,
    SHAREGPT_SCHEMA,
    k2_line,
    lines_table,
    openai_line,
    parquet_table,
    sharegpt_line,
)
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


def _write_parquet(path: Path, table: pa.Table) -> None:
    write_atomic(path, lambda tmp: pq.write_table(table, tmp))


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
        path = out_dir / FILES[fmt]
        files[fmt] = path
        if fmt == "openai":
            write_text_atomic(path, _jsonl(openai_rows))
        elif fmt == "k2":
            lines = [k2_line(r) for r in exported]
            write_text_atomic(path, _jsonl(lines))
            files["k2-parquet"] = out_dir / CONFIGS["k2"][1]
            _write_parquet(files["k2-parquet"], lines_table(lines, K2_SCHEMA))
        elif fmt == "sharegpt":
            lines = []
            for record in exported:
                line, dropped_texts = sharegpt_line(record)
                lines.append(line)
                sharegpt_dropped += dropped_texts
            write_text_atomic(path, _jsonl(lines))
            files["sharegpt-parquet"] = out_dir / CONFIGS["sharegpt"][1]
            _write_parquet(files["sharegpt-parquet"], lines_table(lines, SHAREGPT_SCHEMA))
        else:
            _write_parquet(path, parquet_table(exported))

    stats = dataset_stats(exported, considered, dropped, sharegpt_dropped)
    stats["formats"] = list(cfg.formats)
    if sampling is not None:
        stats["sampling"] = sampling
    # The card carries the audit of the rows exactly as exported (the same as `toolforge audit`).
    audit = audit_rows(openai_rows)
    stats["audit"] = audit.model_dump(mode="json")
    write_text_atomic(out_dir / "stats.json", json.dumps(stats, indent=2, sort_keys=True) + "\n")
    figures = write_figures(exported, considered, out_dir)
    sample = openai_rows[0] if openai_rows else None
    card = render_card(cfg, stats, provenance or {}, sample=sample, figures=figures)
    card = upsert_section(card, audit.markdown())
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
    trajectory_ids: set[str] | None = None,
) -> ExportResult:
    """Export what the store holds for `run_key` (all runs when None; only `trajectory_ids` when
    given), judged under `judge_key`."""
    records = load_records(store, run_key=run_key, judge_key=judge_key, trajectory_ids=trajectory_ids)
    info = {"run_key": run_key, "judge_key": judge_key, **(provenance or {})}
    return export_records(records, out_dir, cfg, {k: v for k, v in info.items() if v is not None})
