"""`toolforge generate --config pipeline.yaml`: the whole pipeline, resumable, with a summary."""

from __future__ import annotations

import os
import signal
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from toolforge.commands.common import console, fail
from toolforge.commands.stage_bars import StageBars
from toolforge.commands.summary import print_failure_groups
from toolforge.core import aio
from toolforge.core.errors import ToolforgeError
from toolforge.pipeline.loader import load_config
from toolforge.pipeline.run import PipelineResult, run_pipeline, summary_rows

app = typer.Typer(help="Run the whole pipeline from one YAML config.", no_args_is_help=True)


@app.callback(invoke_without_command=True)
def generate(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="The pipeline YAML (see examples/pipelines/).")
    ],
    workspace: Annotated[
        str | None, typer.Option(help="Override the config's workspace (store and dataset folder).")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Store URL; wins over $TOOLFORGE_DB and the config's db."),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Run episodes and judges on a Ray cluster: auto, or ray://HOST:PORT "
            "(pip install 'toolforge[ray]'; needs a postgresql:// store).",
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
    allow_changes: Annotated[
        bool,
        typer.Option(
            "--allow-changes",
            help="Go on when a finished run's inputs lost tools (a server down or removed): regenerate from what is there.",
        ),
    ] = False,
    max_failure_rate: Annotated[
        float | None,
        typer.Option(
            help="Exit non-zero when a stage fails more than this share of its items (default: config's max_failure_rate, 0.5)."
        ),
    ] = None,
) -> None:
    """Tools → agents → tasks → rollouts → judges → selection → export.

    Re-running the same config resumes it: stored work is reported and reused. A changed config
    says which keys changed; the stages they affect are redone. Exits 1 when a stage produced
    nothing, the dataset is empty or a stage's failures pass the threshold; 2 on bad input or a
    broken required component (a refused API key); 130 when interrupted (Ctrl-C or SIGTERM).
    """
    # SIGTERM is a Ctrl-C: the same clean stop, message and `interrupted` status.
    previous_term = signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    try:
        cfg = load_config(config)
        if workspace is not None:
            cfg.workspace = workspace
        with StageBars(console) if progress else nullcontext() as bars:
            result = aio.run(
                run_pipeline(
                    cfg,
                    console,
                    progress=bars,
                    db=db,
                    ray=ray,
                    allow_changes=allow_changes,
                    max_failure_rate=max_failure_rate,
                )
            )
    except (ToolforgeError, ValueError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail(
            "interrupted: everything finished so far is stored (run status: interrupted); run the "
            "same command again to resume",
            code=130,
        )
    finally:
        signal.signal(signal.SIGTERM, previous_term)
    print_summary(result)
    if not result.outcome.ok:
        fail("the run finished, but: " + "; ".join(result.outcome.problems), code=1)


def print_summary(result: PipelineResult) -> None:
    table = Table(title=f"{result.run_id} · fingerprint {result.fingerprint} · {result.seconds:.1f}s")
    for column in ("stage", "items", "already done", "new", "failed", "time", "note"):
        table.add_column(
            column,
            justify="right" if column in ("items", "already done", "new", "failed", "time") else "left",
        )
    for row in summary_rows(result):
        table.add_row(*[str(v) for v in row])
    console.print(table)
    stats = result.sampling
    pass_at = ", ".join(f"pass@{k} {v:.0%}" for k, v in stats.pass_at.items())
    console.print(
        f"rejection sampling: {stats.accepted}/{stats.attempts} attempts accepted "
        f"({stats.acceptance_rate:.0%}); {pass_at}"
    )
    if stats.failures_by_check:
        console.print(
            "rejections by check: " + ", ".join(f"{k} {v}" for k, v in stats.failures_by_check.items())
        )
    if result.nodes.by_node:
        nodes = Table(title="cluster nodes")
        for column in ("node", "units", "tasks", "episodes", "judged", "play s", "judge s"):
            nodes.add_column(column, justify="left" if column == "node" else "right")
        for node, row in sorted(result.nodes.by_node.items()):
            nodes.add_row(
                node, *(str(int(row[k])) for k in ("units", "tasks", "episodes", "judged")),
                f"{row['play_s']:.1f}", f"{row['judge_s']:.1f}",
            )  # fmt: skip
        console.print(nodes)
        for lost in result.nodes.lost:
            console.print(f"node lost mid-run, its units re-run on the others: {lost}")
    export = result.export
    console.print(f"dataset: {export.stats['exported']} trajectories in {export.out_dir}")
    for fmt, path in export.files.items():
        console.print(f"  {fmt:<9} {path}")
    console.print(f"  card      {export.card}")
    print_failures(result)


def print_failures(result: PipelineResult) -> None:
    """What failed, grouped by reason, with counts and the fix (the same lines as every command)."""
    print_failure_groups(result.outcome.groups)
