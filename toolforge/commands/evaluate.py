"""`toolforge eval`: a model's tool-calling accuracy on BFCL-format cases, per category."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolforge.commands.common import chosen, console, fail, progress_bar
from toolforge.commands.summary import DEFAULT_MAX_FAILURE_RATE, FailureSummary, MaxFailureRateOption
from toolforge.core import aio
from toolforge.core.errors import ToolforgeError
from toolforge.core.llm import LLMClient
from toolforge.core.llm.config import TOOL_MODES, ToolMode
from toolforge.evaluation.cases import EvalCase, find_question_files, load_cases
from toolforge.evaluation.models import open_model
from toolforge.evaluation.report import markdown, summary, table, write_report
from toolforge.evaluation.runner import AnswerCache, CaseResult, cache_path_for, evaluate
from toolforge.export.card import upsert_section


def eval_command(
    questions: Annotated[
        list[Path],
        typer.Argument(
            help="BFCL question files (JSON lines), or folders of them; answers are read from "
            "possible_answer/<same name> beside each."
        ),
    ],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="A litellm model string, local/smollm2 (the bundled model), or a Hugging Face checkpoint folder.",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The JSON report; its cache sits beside it (.cache.jsonl).")
    ] = Path("eval-report.json"),
    answers: Annotated[
        Path | None, typer.Option(help="The possible_answer file, when there is one question file.")
    ] = None,
    api_base: Annotated[str | None, typer.Option(help="The model server's URL (litellm api_base).")] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="The environment variable that holds the API key.")
    ] = None,
    tool_mode: Annotated[
        str, typer.Option(help="native (the provider's tools=) or json (schema-constrained JSON).")
    ] = "native",
    batch_size: Annotated[int, typer.Option(min=1, help="Cases per batch (and per cache flush).")] = 8,
    max_tokens: Annotated[int, typer.Option(min=1, help="The most tokens a model may answer with.")] = 512,
    category: Annotated[
        list[str] | None, typer.Option(help="Only these categories (repeatable), e.g. simple.")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many cases per file.")] = None,
    card: Annotated[
        Path | None,
        typer.Option(
            help="A dataset folder (or its README.md): add the table as its `## Eval: MODEL` section."
        ),
    ] = None,
    max_failure_rate: MaxFailureRateOption = DEFAULT_MAX_FAILURE_RATE,
) -> None:
    """Score a model's function calls with BFCL's AST rules; print a table per category and write a
    JSON report with every case's raw output, parsed calls and verdict.

    Cases whose model call failed (not wrong answers: those are scores) are listed by reason; exits 1
    when every call failed or more than --max-failure-rate of them did."""
    if answers is not None and len(questions) != 1:
        fail("--answers goes with exactly one question file; keep BFCL's possible_answer/ folder for several")
    if tool_mode not in TOOL_MODES:
        fail(f"--tool-mode {tool_mode!r}: choose native or json")
    card_path = card / "README.md" if card is not None and card.is_dir() else card
    if card_path is not None and not card_path.is_file():
        fail(f"--card {card}: no dataset card there; pass the folder `toolforge export` wrote")
    try:
        files = [f for q in questions for f in find_question_files(q)]
        cases: list[EvalCase] = []
        for path in files:
            loaded = load_cases(path, answers)
            if category:
                loaded = [c for c in loaded if c.category in category]
            cases.extend(loaded[:limit] if limit else loaded)
    except ToolforgeError as exc:
        fail(str(exc))
    if not cases:
        fail(f"no cases to run in {', '.join(map(str, files))} (check --category)")
    results = aio.run(
        _run(model, cases, out, api_base, api_key_env, chosen(tool_mode, TOOL_MODES), batch_size, max_tokens)
    )
    write_report(out, model, [str(f) for f in files], results)
    numbers = summary(results)
    console.print(table(model, numbers))
    if card_path is not None:
        text = card_path.read_text(encoding="utf-8")
        card_path.write_text(
            upsert_section(text, markdown(model, [str(f) for f in files], numbers, out)), encoding="utf-8"
        )
        console.print(f"card {card_path}: section `## Eval: {model}`")
    cached = sum(r.cached for r in results)
    console.print(f"report {out} ({cached} of {len(results)} answers from the cache {cache_path_for(out)})")
    _finish(results, max_failure_rate)


def _finish(results: list[CaseResult], max_failure_rate: float) -> None:
    """The cases whose model call failed, by reason (they are scored as wrong, and not cached: a
    re-run asks again)."""
    summary = FailureSummary(None)  # eval has no store: its failures are the results' own
    failed = [r for r in results if r.verdict.error_type == "model_error"]
    for r in failed:
        summary.add("eval", r.verdict.reason, r.case.id)
    summary.finish({"eval": (len(results) - len(failed), len(failed))}, max_failure_rate)


async def _run(
    model: str,
    cases: list[EvalCase],
    out: Path,
    api_base: str | None,
    api_key_env: str | None,
    tool_mode: ToolMode,
    batch_size: int,
    max_tokens: int,
) -> list[CaseResult]:
    async with LLMClient() as client:
        try:
            runner = open_model(
                model,
                client,
                api_base=api_base,
                api_key_env=api_key_env,
                max_tokens=max_tokens,
                tool_mode=tool_mode,
                concurrency=batch_size,
            )
        except ToolforgeError as exc:
            fail(str(exc))
        with progress_bar("eval", transient=True) as progress:
            bar = progress.add_task("cases", total=len(cases))
            try:
                return await evaluate(
                    runner,
                    cases,
                    AnswerCache(cache_path_for(out)),
                    batch_size=batch_size,
                    on_progress=lambda n: progress.advance(bar, n),
                )
            except ToolforgeError as exc:
                fail(str(exc))
