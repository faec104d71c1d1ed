"""Run a model over eval cases: batches, a progress bar, and a per-(model, case) cache that makes a
re-run resume where the last one stopped.

The cache is a JSON-lines file beside the report (`<report>.cache.jsonl`): one line per answered
case, appended and flushed after each batch, keyed by a hash of the model's cache key and what
the case shows the model. A line cut short by a kill is ignored; a changed case or model is a new key.
Verdicts are never cached: they are recomputed from the raw output on every run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolforge.core.ids import digest
from toolforge.evaluation.cases import EvalCase
from toolforge.evaluation.checker import Call, Check, check_case
from toolforge.evaluation.functions import original_names
from toolforge.evaluation.models import EvalModel, ModelOutput


@dataclass(frozen=True)
class CaseResult:
    case: EvalCase
    output: ModelOutput
    calls: list[Call]
    verdict: Check
    cached: bool


def cache_path_for(report: Path) -> Path:
    return report.with_name(report.name + ".cache.jsonl")


class AnswerCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, ModelOutput] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    output = ModelOutput(
                        raw=row["raw"],
                        calls=[(name, args) for name, args in row["calls"]],
                        parse_error=row.get("parse_error"),
                    )
                except (ValueError, KeyError, TypeError):
                    continue  # the last line of a killed run
                self.entries[row["key"]] = output

    @staticmethod
    def key(model: EvalModel, case: EvalCase) -> str:
        return digest([model.cache_key, case.fingerprint()])

    def add(self, rows: list[tuple[str, EvalCase, ModelOutput]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            for key, case, output in rows:
                if output.failed:
                    continue
                self.entries[key] = output
                line = {
                    "key": key,
                    "case": case.id,
                    "raw": output.raw,
                    "calls": [[name, args] for name, args in output.calls],
                    "parse_error": output.parse_error,
                }
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
            f.flush()


def judge(case: EvalCase, output: ModelOutput, cached: bool) -> CaseResult:
    """The verdict on one output; the calls renamed back to the docs' own (dotted) names."""
    names = original_names(case.functions)
    calls: list[Call] = [{names.get(name, name): args} for name, args in output.calls]
    if output.failed:
        verdict = Check(False, "model_error", output.parse_error or "the model call failed")
    elif output.parse_error and case.category != "irrelevance":
        verdict = Check(False, "unreadable_output", output.parse_error)
    else:
        verdict = check_case(case, calls)
    return CaseResult(case=case, output=output, calls=calls, verdict=verdict, cached=cached)


async def evaluate(
    model: EvalModel,
    cases: list[EvalCase],
    cache: AnswerCache,
    batch_size: int = 8,
    on_progress: Callable[[int], Any] | None = None,
) -> list[CaseResult]:
    """Every case's result, in the cases' order; only cases without a cached answer reach the model."""
    results: dict[str, CaseResult] = {}
    todo: list[tuple[str, EvalCase]] = []
    for case in cases:
        key = cache.key(model, case)
        if key in cache.entries:
            results[case.id + "\0" + case.source] = judge(case, cache.entries[key], cached=True)
        else:
            todo.append((key, case))
    if on_progress is not None and results:
        on_progress(len(results))
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        outputs = await model.answer([case for _, case in chunk])
        cache.add([(key, case, output) for (key, case), output in zip(chunk, outputs, strict=True)])
        for (_, case), output in zip(chunk, outputs, strict=True):
            results[case.id + "\0" + case.source] = judge(case, output, cached=False)
        if on_progress is not None:
            on_progress(len(chunk))
    return [results[case.id + "\0" + case.source] for case in cases]
