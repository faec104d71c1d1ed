"""The `toolforge` command: a thin typer app that mounts one sub-app per command group."""

from __future__ import annotations

import typer

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
)

app = typer.Typer(
    name="toolforge",
    help="Generate agentic tool-use training data and fine-tune on it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
