"""What every command group shares: the --db option, opening the store, user-facing errors."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer
from rich.console import Console

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


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command with a one-line error that names the fix — never a traceback."""
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def open_store(db: str | None) -> Store:
    try:
        return Store(resolve_store_url(db))
    except ToolforgeError as exc:
        fail(str(exc))
