"""`toolforge audit DATASET_DIR`: measure an exported dataset from its rows alone.

Prints the figures, writes `audit.json` beside the data and the `## Audit` section of the card.
The measurement (`judges.audit`) shares nothing with the judges, so it can catch what they miss.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import JustifyMethod
from rich.table import Table

from judges.audit import AuditReport, audit_jsonl
from toolforge.commands.common import console, err_console, fail
from toolforge.export.card import upsert_section
from toolforge.export.dataset_folder import DATASET_FILE, find_dataset

AUDIT_FILE = "audit.json"


def audit(
    dataset_dir: Annotated[Path, typer.Argument(help="A folder written by `toolforge export`.")],
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when any figure misses its bar (for CI).")
    ] = False,
) -> None:
    """Measure `openai.jsonl` (grounding, coherence, naturalness) and write audit.json and the card section."""
    if not dataset_dir.is_dir():
        fail(f"no dataset folder {dataset_dir}: run `toolforge export --out {dataset_dir}` first")
    try:
        found = find_dataset(dataset_dir)
    except ValueError as exc:
        fail(str(exc))
    if found is None:
        fail(f"{dataset_dir} has no openai.jsonl: run `toolforge export --out {dataset_dir} -f openai` first")
    dataset_dir, rows_path = found, found / DATASET_FILE
    report = audit_jsonl(rows_path.read_text(encoding="utf-8"))
    for bad in report.bad_lines:
        err_console.print(f"[yellow]skipped[/] {rows_path}:{bad.line}: {bad.error}")
    (dataset_dir / AUDIT_FILE).write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    card = dataset_dir / "README.md"
    text = card.read_text(encoding="utf-8") if card.exists() else ""
    card.write_text(upsert_section(text, report.markdown()), encoding="utf-8")
    _print(report, dataset_dir)
    if check and report.failed:
        err_console.print("[bold red]missed:[/] " + ", ".join(f.name for f in report.failed))
        raise typer.Exit(1)


def _print(report: AuditReport, dataset_dir: Path) -> None:
    table = Table(title=f"audit of {dataset_dir}")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("figure", "left"),
        ("count", "right"),
        ("of", "right"),
        ("share", "right"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify)
    table.add_column("bar")
    table.add_column("result")
    for f in report.figures:
        share = "n/a" if f.percent is None else f"{f.percent:.2f}%"
        result = "[green]pass[/]" if f.passed else "[bold red]miss[/]"
        table.add_row(f.title, str(f.numerator), str(f.denominator), share, f.bar_text, result)
    console.print(table)
    for f in report.failed:
        console.print(f"[bold]{f.name}[/] e.g.")
        for example in f.examples:
            console.print(f"  {example}", markup=False, highlight=False, soft_wrap=False)
    domains = ", ".join(f"{name} {n}" for name, n in report.domains.items()) or "none recorded"
    skipped = f", {len(report.bad_lines)} unreadable line(s) skipped" if report.bad_lines else ""
    console.print(
        f"{report.rows} rows ({report.rows_with_tool_calls} with tool calls{skipped}); domains: {domains}; "
        f"{len(report.figures) - len(report.failed)} of {len(report.figures)} bars held. "
        f"Wrote {dataset_dir / AUDIT_FILE} and the card's Audit section.",
        highlight=False,
    )
