"""The `toolforge` command: a thin typer app that mounts one sub-app per command group."""

from __future__ import annotations

from typing import Annotated

import typer

from toolforge import __version__
from toolforge.commands import (
    audit,
    code_tasks,
    doctor,
    episodes,
    evaluate,
    export,
    generate,
    llm,
    sandbox,
    stats,
    tools,
    train,
    view,
)
from toolforge.commands.ordering import PipelineOrderGroup
from toolforge.core.runtime import tune_gc

app = typer.Typer(
    name="toolforge",
    help="Generate agentic tool-use training data and fine-tune on it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=PipelineOrderGroup,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"toolforge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Generate agentic tool-use training data and fine-tune on it."""
    # once per process, before any command runs: the garbage collector's settings (core/runtime.py)
    tune_gc()


# Command groups register here, one line each: app.add_typer(<module>.app, name="<group>").
app.command()(doctor.doctor)
app.command()(stats.stats)
app.add_typer(episodes.agents_app, name="agents")
app.add_typer(episodes.tasks_app, name="tasks")
app.command()(episodes.rollout)
app.add_typer(episodes.show_app, name="show")
app.add_typer(train.app, name="train")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(code_tasks.app, name="code-tasks")
app.add_typer(tools.app, name="tools")
app.add_typer(generate.app, name="generate")
app.add_typer(export.app, name="export")
app.command()(audit.audit)
app.command(name="eval")(evaluate.eval_command)
app.add_typer(llm.app, name="llm")
app.command()(view.view)
app.add_typer(view.trajectories_app, name="trajectories")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
