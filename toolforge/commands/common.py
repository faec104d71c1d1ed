"""What every command group shares: the --db option, opening the store, user-facing errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from toolforge.core.errors import ToolforgeError
from toolforge.core.store import Store, resolve_store_url

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store URL: a SQLite path or postgresql://… (else $TOOLFORGE_DB, else ./toolforge-data/toolforge.db).",
    ),
]


def progress_bar(label: str, *, transient: bool = False) -> Progress:
    """The bar every long command shows: its label, the bar, done/total and the time so far."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    )


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command with a one-line error that names the fix — never a traceback."""
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def open_store(db: str | None) -> Store:
    try:
        return Store(resolve_store_url(db))
    except ToolforgeError as exc:
        fail(str(exc))


C = TypeVar("C", bound=str)


def chosen(value: str, choices: Sequence[C]) -> C:
    """`value` as the choice it equals, typed as the choices are (a Literal); for an option already
    checked against them, so the ValueError means a missing check."""
    for choice in choices:
        if choice == value:
            return choice
    raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
