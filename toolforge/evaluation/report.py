"""The eval's results as numbers per category, a console table, and a JSON report that holds, per
case, everything needed to re-score it: the messages and functions shown, the raw output, the
parsed calls, the verdict with its reason, and the acceptable answers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rich.table import Table

from toolforge.evaluation.runner import CaseResult

CATEGORY_ORDER = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance", "relevance")


def summary(results: list[CaseResult]) -> dict[str, Any]:
    """{"categories": {name: {cases, correct, accuracy}}, "overall": {...}, "category_mean": float}."""
    counts: dict[str, list[int]] = {}
    for result in results:
        tally = counts.setdefault(result.case.category, [0, 0])
        tally[0] += 1
        tally[1] += int(result.verdict.valid)
    ordered = sorted(counts, key=lambda c: CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99)

    def row(cases: int, correct: int) -> dict[str, Any]:
        return {"cases": cases, "correct": correct, "accuracy": round(correct / cases, 4) if cases else 0.0}

    total = sum(c for c, _ in counts.values())
    right = sum(r for _, r in counts.values())
    categories = {c: row(*counts[c]) for c in ordered}
    # BFCL's own summaries average categories unweighted; "overall" weighs every case the same
    mean = sum(r["accuracy"] for r in categories.values()) / len(categories) if categories else 0.0
    return {"categories": categories, "overall": row(total, right), "category_mean": round(mean, 4)}


def case_entry(result: CaseResult) -> dict[str, Any]:
    case, output, verdict = result.case, result.output, result.verdict
    return {
        "id": case.id,
        "category": case.category,
        "source": case.source,
        "question": case.messages,
        "function": case.functions,
        "ground_truth": case.ground_truth,
        "raw_output": output.raw,
        "parsed_calls": result.calls,
        "parse_error": output.parse_error,
        "verdict": {"valid": verdict.valid, "error_type": verdict.error_type, "reason": verdict.reason},
        "cached": result.cached,
    }


def write_report(path: Path, model: str, files: list[str], results: list[CaseResult]) -> dict[str, Any]:
    report = {
        "model": model,
        "files": files,
        "checker": "BFCL AST rules (toolforge.evaluation.checker)",
        **summary(results),
        "cases": [case_entry(r) for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return report


def table(model: str, numbers: dict[str, Any]) -> Table:
    out = Table(title=f"toolforge eval — {model}")
    out.add_column("category")
    out.add_column("cases", justify="right")
    out.add_column("correct", justify="right")
    out.add_column("accuracy", justify="right")
    for name, row in numbers["categories"].items():
        out.add_row(name, str(row["cases"]), str(row["correct"]), f"{row['accuracy']:.3f}")
    overall = numbers["overall"]
    out.add_row(
        "overall", str(overall["cases"]), str(overall["correct"]), f"{overall['accuracy']:.3f}", style="bold"
    )
    out.add_row("mean of categories", "", "", f"{numbers['category_mean']:.3f}")
    return out


def markdown(model: str, files: list[str], numbers: dict[str, Any], report: Path) -> str:
    """A dataset card section: `## Eval: MODEL` with the table per category."""
    lines = [
        f"## Eval: {model}",
        "",
        f"`toolforge eval` on {', '.join(f'`{f}`' for f in files)} (BFCL's AST rules; report `{report}`).",
        "",
        "| category | cases | correct | accuracy |",
        "|---|---:|---:|---:|",
    ]
    rows = [*numbers["categories"].items(), ("**overall**", numbers["overall"])]
    lines += [f"| {name} | {r['cases']} | {r['correct']} | {r['accuracy']:.3f} |" for name, r in rows]
    lines.append(f"| mean of categories | | | {numbers['category_mean']:.3f} |")
    return "\n".join(lines) + "\n"
