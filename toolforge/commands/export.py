"""`toolforge export`: write a dataset (and its card) from what the store holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from toolforge.commands.common import DbOption, chosen, console, fail, open_store
from toolforge.commands.summary import FailureSummary
from toolforge.core.store import Store
from toolforge.evaluation.holdout import HeldoutSplit, heldout_cases
from toolforge.export import ExportConfig, ExportFilter, export_store
from toolforge.export.config import ALL_FORMATS, CardConfig, Format
from toolforge.export.exporter import ExportResult
from toolforge.export.formats import openai_line
from toolforge.export.hub import push_to_hub as publish
from toolforge.export.records import keep, load_records

app = typer.Typer(help="Export judged trajectories as training data.", no_args_is_help=True)


@app.callback(invoke_without_command=True)
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the dataset and its card into.")],
    db: DbOption = None,
    run: Annotated[
        str | None, typer.Option(help="A `toolforge generate` run name: its trajectories and judge.")
    ] = None,
    run_key: Annotated[str | None, typer.Option(help="Only trajectories of this rollout run key.")] = None,
    judge_key: Annotated[str | None, typer.Option(help="Use the verdicts of this judge key.")] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", "-f", help=f"Repeatable; one of {', '.join(ALL_FORMATS)} (default: all)."),
    ] = None,
    include_rejected: Annotated[bool, typer.Option("--all", help="Keep rejected trajectories too.")] = False,
    min_score: Annotated[float, typer.Option(help="Keep trajectories scoring at least this (0..1).")] = 0.0,
    domain: Annotated[list[str] | None, typer.Option(help="Keep only these domains (repeatable).")] = None,
    task_source: Annotated[list[str] | None, typer.Option(help="Keep only these task sources.")] = None,
    tool_source: Annotated[
        list[str] | None, typer.Option(help="Keep trajectories using tools from these sources.")
    ] = None,
    name: Annotated[str, typer.Option(help="The dataset's name in its card.")] = "toolforge-dataset",
    holdout_domains: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated domains kept out of the training files and written as a BFCL-format "
            "eval set to OUT/heldout/ (for `toolforge eval`)."
        ),
    ] = None,
    license_id: Annotated[
        str,
        typer.Option(
            "--license", help="The card's license (a Hub license id: cc-by-4.0, apache-2.0, mit, other)."
        ),
    ] = CardConfig().license,
    language: Annotated[
        list[str] | None, typer.Option(help="The card's language codes (repeatable; default: en).")
    ] = None,
    push_to_hub: Annotated[
        str | None, typer.Option(help="Then publish the folder as this Hub dataset repo (user/name).")
    ] = None,
    token_env: Annotated[
        str, typer.Option(help="The environment variable holding the Hub token for --push-to-hub.")
    ] = "HF_TOKEN",
    private: Annotated[bool, typer.Option(help="Create the Hub repo private.")] = False,
) -> None:
    """Filter judged trajectories and write OpenAI JSONL, ShareGPT, Parquet and K2 text with a card.

    Exits 1 when no trajectory is exported, naming the filters that left each one out."""
    formats, held_out = _checked_options(fmt, min_score, holdout_domains, domain)
    cfg = ExportConfig(
        formats=formats,
        name=name,
        card=CardConfig(license=license_id, language=language or ["en"]),
        filter=ExportFilter(
            accepted_only=not include_rejected,
            min_score=min_score,
            domains=domain,
            exclude_domains=held_out,
            task_sources=task_source,
            tool_sources=tool_source,
        ),
    )
    store = open_store(db)
    try:
        scope = _RunScope(run_key, judge_key) if run is None else _run_scope(store, run, run_key, judge_key)
        split = _heldout(store, scope, cfg.filter, held_out) if held_out else None
        try:
            provenance = {"holdout_domains": held_out} if held_out else None
            with console.status(f"exporting to {out} (formats, figures, audit)…"):
                result = export_store(
                    store,
                    out,
                    cfg,
                    run_key=scope.run_key,
                    judge_key=scope.judge_key,
                    trajectory_ids=scope.trajectory_ids,
                    provenance=provenance,
                )
        except ValueError as exc:
            fail(f"{exc} (pass --judge-key, or --run NAME)")
    finally:
        store.close()
    _print_files(result, out)
    if split is not None:
        _write_heldout(split, out, held_out)
    _finish(result.stats, held_out=split is not None)
    if push_to_hub is not None:
        _publish(out, push_to_hub, token_env=token_env, private=private)


@dataclass(frozen=True)
class _RunScope:
    """Which stored trajectories and verdicts the export reads."""

    run_key: str | None
    judge_key: str | None
    trajectory_ids: set[str] | None = None


def _checked_options(
    fmt: list[str] | None, min_score: float, holdout_domains: str | None, domain: list[str] | None
) -> tuple[list[Format], list[str]]:
    """The formats and the held-out domains, or a one-line error naming the bad option."""
    given = fmt or list(ALL_FORMATS)
    unknown = [f for f in given if f not in ALL_FORMATS]
    if unknown:
        fail(f"unknown format(s) {unknown}: choose from {', '.join(ALL_FORMATS)}")
    if not 0.0 <= min_score <= 1.0:
        fail("--min-score must be between 0 and 1")
    held_out = [d.strip() for d in (holdout_domains or "").split(",") if d.strip()]
    if held_out and domain and set(held_out) & set(domain):
        fail(f"--holdout-domains {sorted(set(held_out) & set(domain))} are also kept by --domain: pick one")
    return [chosen(f, ALL_FORMATS) for f in given], held_out


def _heldout(store: Store, scope: _RunScope, training: ExportFilter, held_out: list[str]) -> HeldoutSplit:
    """The eval cases of the held-out domains' trajectories (those the training filter would keep
    but for their domain); an error when none could be made."""
    try:
        records = load_records(store, scope.run_key, scope.judge_key, scope.trajectory_ids)
    except ValueError as exc:
        fail(f"{exc} (pass --judge-key, or --run NAME)")
    # The training filter but for its domains: a record is held out when it touches a held-out
    # domain, through its own domain or one of its tools (exactly the records training drops).
    held = training.model_copy(update={"domains": None, "exclude_domains": []})
    touching = [r for r in records if keep(r, held) is None and r.domains & set(held_out)]
    # A case asks for a tool no training row offers: an agent of a held-out domain may also hold
    # a training domain's tool, and a call to it measures nothing unseen.
    seen = {t["function"]["name"] for r in records if keep(r, training) is None for t in r.trajectory.tools}
    split = heldout_cases((openai_line(r) for r in touching), seen_tools=seen)
    if not split.questions:
        skipped = (
            ", ".join(f"{n} {why}" for why, n in split.skipped.items())
            or "no kept trajectory in those domains"
        )
        fail(
            f"--holdout-domains {held_out}: no eval case could be made ({skipped}); "
            "name domains with accepted trajectories"
        )
    return split


def _run_scope(store: Store, run: str, run_key: str | None, judge_key: str | None) -> _RunScope:
    """A `toolforge generate` run's keys (explicit --run-key/--judge-key win) and its current items."""
    row = store.get_run(f"pipeline:{run}")
    if row is None or "run_key" not in (row.stats or {}):
        fail(f"no finished `toolforge generate` run named {run!r} in {store.display_url}")
    # the run's current items only: an earlier shape of the run left trajectories stored
    ids = set(row.stats["trajectory_ids"]) if "trajectory_ids" in row.stats else None
    return _RunScope(run_key or row.stats["run_key"], judge_key or row.stats["judge_key"], ids)


def _print_files(result: ExportResult, out: Path) -> None:
    console.print(
        f"{result.stats['exported']} of {result.stats['considered']} trajectories exported to {out}"
    )
    for fmt_name, path in result.files.items():
        console.print(f"  {fmt_name:<9} {path}")
    console.print(f"  card      {result.card}")


def _write_heldout(split: HeldoutSplit, out: Path, held_out: list[str]) -> None:
    """The held-out eval set under OUT/heldout/, and the command that evaluates a model on it."""
    questions, answers = split.write(out / "heldout")
    console.print(
        f"held-out domains {', '.join(held_out)}: {len(split.questions)} eval cases (BFCL layout), "
        f"{sum(split.skipped.values())} trajectories skipped"
    )
    console.print(f"  questions {questions}")
    console.print(f"  answers   {answers}")
    console.print(f"  run       toolforge eval {questions} --model MODEL")


def _publish(out: Path, repo: str, *, token_env: str, private: bool) -> None:
    try:
        with console.status(f"pushing {out} to the Hub dataset {repo}…"):
            url = publish(out, repo, token_env=token_env, private=private)
    except ValueError as exc:
        fail(str(exc))
    console.print(f"published to {url}")


# Why a trajectory was left out (`export.records.keep`), and the option that keeps it.
KEEP_WITH = {
    "accepted_only": "pass --all to keep rejected trajectories too",
    "min_score": "lower --min-score",
    "domains": "widen --domain",
    "exclude_domains": "hold out fewer domains (--holdout-domains)",
    "task_sources": "widen --task-source",
    "tool_sources": "widen --tool-source",
}


def _finish(stats: dict[str, Any], held_out: bool) -> None:
    """An empty dataset fails the command, and the filters that emptied it are listed by reason;
    training rows all held out as the eval set (`--holdout-domains`) are what was asked for."""
    summary = FailureSummary(None)  # export stores no failures; what it leaves out is in `stats`
    exported, considered = stats["exported"], stats["considered"]
    dropped = {
        why: n for why, n in stats["dropped_by_filter"].items() if not (held_out and why == "exclude_domains")
    }
    problems = []
    if exported == 0 and (dropped or not considered):
        for why, count in dropped.items():
            summary.add("export", f"left out by the {why} filter", fix=KEEP_WITH.get(why, ""), count=count)
        problems.append(
            f"the dataset is empty: none of the {considered} trajectories considered passed the filters"
            if considered
            else "the dataset is empty: no judged trajectory matched (check --run, --run-key, --judge-key and --db)"
        )
    summary.finish({}, problems=problems)
