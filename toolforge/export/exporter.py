"""Write a dataset: filter the records, write each format, then the card and its numbers.

Files are written to a unique temporary name and renamed into place (`atomic.py`), in id order, with no timestamps:
the same records give the same bytes (except Parquet's internal metadata), so a re-export after
a crash or a resumed run leaves exactly what an uninterrupted run leaves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from judges.audit import AuditTally
from toolforge.core.store import Store
from toolforge.export.atomic import atomic_path, write_text_atomic
from toolforge.export.card import CONFIGS, FILES, render_card, upsert_section
from toolforge.export.config import ExportConfig
from toolforge.export.figures import FigureTally, write_figure_tally
from toolforge.export.formats import (
    K2_SCHEMA,
    PARQUET_SCHEMA,
    SHAREGPT_SCHEMA,
    k2_line,
    lines_table,
    openai_line,
    parquet_table,
    sharegpt_line,
)
from toolforge.export.records import ExportRecord, keep, load_records
from toolforge.export.stats import StatsTally


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    files: dict[str, Path]
    stats: dict[str, Any]

    @property
    def card(self) -> Path:
        return self.out_dir / "README.md"


class _Writers:
    """The dataset's files, open for the whole export: each batch of records is appended as it
    comes (JSONL lines, a Parquet row group), so no file's rows are ever all in memory."""

    def __init__(self, out_dir: Path, formats: list[str], stack: ExitStack) -> None:
        self.formats = formats
        self.files: dict[str, Path] = {}
        self.jsonl: dict[str, Any] = {}
        self.parquet: dict[str, pq.ParquetWriter] = {}
        self.sharegpt_dropped = 0
        for fmt in formats:
            self.files[fmt] = out_dir / FILES[fmt]
            if fmt == "parquet":
                self._parquet(stack, "parquet", self.files[fmt], PARQUET_SCHEMA)
                continue
            tmp = stack.enter_context(atomic_path(self.files[fmt]))
            self.jsonl[fmt] = stack.enter_context(tmp.open("w", encoding="utf-8"))
            if fmt in ("k2", "sharegpt"):
                self.files[f"{fmt}-parquet"] = out_dir / CONFIGS[fmt][1]
                schema = K2_SCHEMA if fmt == "k2" else SHAREGPT_SCHEMA
                self._parquet(stack, fmt, self.files[f"{fmt}-parquet"], schema)

    def _parquet(self, stack: ExitStack, fmt: str, path: Path, schema: pa.Schema) -> None:
        tmp = stack.enter_context(atomic_path(path))
        writer = pq.ParquetWriter(tmp, schema)
        # closed before the rename (an ExitStack unwinds last-in first-out)
        stack.callback(writer.close)
        self.parquet[fmt] = writer

    def write(self, records: list[ExportRecord], openai_rows: list[dict[str, Any]]) -> None:
        if not records:
            return
        for fmt in self.formats:
            if fmt == "openai":
                self.jsonl[fmt].write(_jsonl(openai_rows))
            elif fmt == "parquet":
                self.parquet[fmt].write_table(parquet_table(records))
            elif fmt == "k2":
                lines = [k2_line(r) for r in records]
                self.jsonl[fmt].write(_jsonl(lines))
                self.parquet[fmt].write_table(lines_table(lines, K2_SCHEMA))
            else:
                lines = []
                for record in records:
                    line, dropped_texts = sharegpt_line(record)
                    lines.append(line)
                    self.sharegpt_dropped += dropped_texts
                self.jsonl[fmt].write(_jsonl(lines))
                self.parquet[fmt].write_table(lines_table(lines, SHAREGPT_SCHEMA))


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
    return export_batches([sorted(records, key=lambda r: r.id)], out_dir, cfg, provenance, sampling)


def export_batches(
    batches: Iterable[list[ExportRecord]],
    out_dir: Path,
    cfg: ExportConfig,
    provenance: dict[str, Any] | None = None,
    sampling: dict[str, Any] | None = None,
) -> ExportResult:
    """`export_records` over records that come in batches, in id order across batches (a run's
    export reads them from the store batch by batch): one batch is in memory at a time; the
    card's numbers, figures and audit are tallied as the batches pass."""
    dropped: dict[str, int] = {}
    tally, figure_data, audit = StatsTally(), FigureTally(), AuditTally()
    sample: dict[str, Any] | None = None
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        writers = _Writers(out_dir, list(cfg.formats), stack)
        for batch in batches:
            exported: list[ExportRecord] = []
            for record in batch:
                tally.consider(record)
                figure_data.consider(record)
                why = keep(record, cfg.filter)
                if why is None:
                    exported.append(record)
                    tally.export(record)
                    figure_data.export(record)
                else:
                    dropped[why] = dropped.get(why, 0) + 1
            openai_rows = [openai_line(r) for r in exported]  # written as openai.jsonl and audited
            writers.write(exported, openai_rows)
            # The card carries the audit of the rows exactly as exported (as `toolforge audit`).
            audit.add(openai_rows)
            sample = sample or (openai_rows[0] if openai_rows else None)
    stats = tally.stats(dropped, writers.sharegpt_dropped)
    stats["formats"] = list(cfg.formats)
    if sampling is not None:
        stats["sampling"] = sampling
    report = audit.report()
    stats["audit"] = report.model_dump(mode="json")
    write_text_atomic(out_dir / "stats.json", json.dumps(stats, indent=2, sort_keys=True) + "\n")
    figures = write_figure_tally(figure_data, out_dir)
    card = render_card(cfg, stats, provenance or {}, sample=sample, figures=figures)
    card = upsert_section(card, report.markdown())
    write_text_atomic(out_dir / "README.md", card)
    return ExportResult(out_dir=out_dir, files=writers.files, stats=stats)


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
