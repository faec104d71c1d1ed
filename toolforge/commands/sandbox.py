"""`toolforge sandbox doctor | build-image | exec | gc`: the sandboxes where code runs."""

from __future__ import annotations

import sys
import time
from typing import Annotated

import typer
from rich.table import Table

from sandbox import DEFAULT_IMAGE, DockerBackendConfig, Limits, LocalBackendConfig, SandboxError, SandboxSpec
from sandbox.docker_backend import DockerBackend, connect
from sandbox.images import build_image, can_build_offline, image_present
from sandbox.local_backend import LocalBackend, bwrap_works
from toolforge.commands.common import console, fail
from toolforge.commands.summary import FailureSummary

app = typer.Typer(help="Sandboxes: check the engine, build the image, run a command, remove leftovers.")

ImageOption = Annotated[str, typer.Option("--image", "--tag", help="Sandbox image tag.")]
BackendOption = Annotated[
    str, typer.Option("--backend", help="docker or local (bubblewrap / process group).")
]
UnsafeOption = Annotated[
    bool,
    typer.Option(
        "--unsafe-no-isolation",
        help="local backend without bubblewrap: run the code unisolated, as this user on the host.",
    ),
]


def docker_backend(owner: str = "toolforge") -> DockerBackend:
    try:
        return DockerBackend(DockerBackendConfig(owner=owner))
    except SandboxError as exc:
        fail(str(exc))


@app.command()
def doctor(image: ImageOption = DEFAULT_IMAGE) -> None:
    """Check the Docker engine, the sandbox image, a real sandbox round trip and the local fallback."""
    rows: list[tuple[str, bool, str, str]] = []
    backend = None
    try:
        backend = DockerBackend()
        rows.append(("docker engine", True, f"version {backend.client.version().get('Version', '?')}", ""))
    except SandboxError as exc:
        rows.append(("docker engine", False, str(exc)[:120], "start dockerd, or use --backend local"))
    if backend is not None:
        present = image_present(backend.client, image)
        how = "toolforge sandbox build-image" + ("" if can_build_offline() else " --method dockerfile")
        rows.append(
            ("sandbox image", present, image if present else f"{image} is missing", "" if present else how)
        )
        if present:
            started = time.perf_counter()
            try:
                with backend.start(SandboxSpec(image=image)) as box:
                    ready = time.perf_counter() - started
                    result = box.exec(["python3", "-c", "import pytest, sys; print(sys.version.split()[0])"])
                ok = result.ok
                detail = (
                    f"python {result.stdout.strip()} with pytest; start {ready * 1000:.0f} ms"
                    if ok
                    else result.output
                )
                rows.append(("sandbox round trip", ok, detail[:120], "" if ok else "rebuild with --force"))
            except SandboxError as exc:
                rows.append(("sandbox round trip", False, str(exc)[:120], "see `docker info`"))
        leftovers = len(backend.list())
        rows.append(
            ("leftover sandboxes", leftovers == 0, f"{leftovers} labelled containers", "toolforge sandbox gc")
        )
        backend.close()
    bwrap = bwrap_works()
    rows.append(
        (
            "local backend",
            bwrap,
            "bubblewrap" if bwrap else "no isolation: refused unless --unsafe-no-isolation",
            "" if bwrap else "apt-get install bubblewrap",
        )
    )
    rows.append(
        (
            "offline image build",
            can_build_offline(),
            "root + debootstrap" if can_build_offline() else "needs root and debootstrap",
            "apt-get install debootstrap",
        )
    )
    table = Table(title="toolforge sandbox doctor")
    for column in ("check", "status", "detail", "fix"):
        table.add_column(column)
    for name, ok, detail, fix in rows:
        table.add_row(name, "[green]ok[/]" if ok else "[red]missing[/]", detail, "" if ok else fix)
    console.print(table)
    required = {"docker engine", "sandbox image", "sandbox round trip"}
    failed = [name for name, ok, _, _ in rows if not ok and name in required]
    console.print(
        f"{sum(ok for _, ok, _, _ in rows)}/{len(rows)} checks passed"
        + (f"; docker sandboxes unavailable ({', '.join(failed)})" if failed else "")
    )
    summary = FailureSummary(None)
    for name, ok, detail, fix in rows:
        if not ok:
            summary.add("sandbox", f"{name}: {detail}", fix=fix or "see the detail")
    problems = [f"docker sandboxes unavailable ({', '.join(failed)})"] if failed else []
    summary.finish({}, problems=problems)


@app.command("build-image")
def build_image_cmd(
    tag: ImageOption = DEFAULT_IMAGE,
    method: Annotated[
        str,
        typer.Option(
            help="auto (offline when root + debootstrap, or when no registry answers), offline (no registry), dockerfile"
        ),
    ] = "auto",
    force: Annotated[bool, typer.Option(help="Rebuild even when the tag exists.")] = False,
) -> None:
    """Build the sandbox image once (found by tag afterwards; never pulled at sandbox start)."""
    if method not in ("auto", "offline", "dockerfile"):
        raise typer.BadParameter("use auto, offline or dockerfile", param_hint="--method")
    config = DockerBackendConfig()
    try:
        client = connect(config)
    except SandboxError as exc:
        fail(str(exc))
    started = time.perf_counter()
    try:
        image_id = build_image(
            client, tag, method=method, force=force, log=lambda m: console.print(f"[dim]{m}[/]")
        )
        size = client.images.get(tag).attrs.get("Size", 0)
    except SandboxError as exc:
        fail(str(exc))
    finally:
        client.close()
    console.print(
        f"{tag} ready: {image_id[:19]}, {size / 2**20:.0f} MiB, {time.perf_counter() - started:.1f}s"
    )


@app.command("exec")
def exec_cmd(
    command: Annotated[list[str], typer.Argument(help="The command (one argument runs under /bin/sh -c).")],
    backend: BackendOption = "docker",
    image: ImageOption = DEFAULT_IMAGE,
    timeout: Annotated[float, typer.Option(help="Seconds before the command is killed.")] = 60.0,
    memory_mb: Annotated[int, typer.Option(help="Memory limit (no swap).")] = 1024,
    unsafe_no_isolation: UnsafeOption = False,
) -> None:
    """Run one command in a fresh sandbox and exit with its exit code."""
    spec = SandboxSpec(image=image, limits=Limits(memory_mb=memory_mb))
    cmd: str | list[str] = command[0] if len(command) == 1 else command
    if backend == "docker":
        chosen: DockerBackend | LocalBackend = docker_backend()
    elif backend == "local":
        try:
            chosen = LocalBackend(LocalBackendConfig(unsafe_no_isolation=unsafe_no_isolation))
        except SandboxError as exc:
            fail(str(exc))
    else:
        raise typer.BadParameter("use docker or local", param_hint="--backend")
    try:
        with chosen.start(spec) as box:
            result = box.exec(cmd, timeout_s=timeout)
    except SandboxError as exc:
        fail(str(exc))
    finally:
        chosen.close()
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.timed_out:
        sys.stderr.write(f"[killed after {timeout:g}s]\n")
    raise typer.Exit(result.exit_code)


@app.command()
def gc(
    owner: Annotated[
        str | None, typer.Option(help="Only containers of this owner label (default: all).")
    ] = None,
    older_than: Annotated[float, typer.Option(help="Only containers older than this many seconds.")] = 0.0,
) -> None:
    """Remove every labelled sandbox container left behind (running ones included)."""
    backend = docker_backend()
    removed = backend.gc(owner=owner, older_than_s=older_than)
    backend.close()
    console.print(
        f"removed {len(removed)} sandbox container(s)" + (f": {', '.join(removed)}" if removed else "")
    )
