"""`toolforge view DIR` (the HTML trajectory viewer) and `toolforge trajectories list`."""

from __future__ import annotations

import functools
import http.server
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from toolforge.commands.common import DbOption, console, fail
from toolforge.core.errors import ToolforgeError
from toolforge.viewer import RowFilter, ViewData, load_view_data, render_page

trajectories_app = typer.Typer(help="List and filter trajectories.", no_args_is_help=True)

FolderArgument = Annotated[
    Path,
    typer.Argument(help="A run folder (holding toolforge.db) or an export folder (holding openai.jsonl)."),
]
RunKeyOption = Annotated[str | None, typer.Option(help="Only trajectories of this rollout run key.")]
JudgeKeyOption = Annotated[str | None, typer.Option(help="Use the verdicts of this judge key.")]


def _load(folder: Path, db: str | None, run_key: str | None, judge_key: str | None) -> ViewData:
    if db is None and not folder.is_dir():
        fail(f"{folder} is not a folder: pass a run folder (toolforge-data/) or an export folder")
    try:
        return load_view_data(folder, db=db, run_key=run_key, judge_key=judge_key)
    except ToolforgeError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(f"{exc} (pass --judge-key or --run-key)" if "judge key" in str(exc) else str(exc))


def serve(path: Path, port: int) -> http.server.ThreadingHTTPServer:
    """A server for `path`'s folder on 127.0.0.1 only (port 0: any free port)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(path.parent))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def view(
    folder: FolderArgument,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="The HTML file (default: FOLDER/toolforge-view.html).")
    ] = None,
    serve_page: Annotated[
        bool, typer.Option("--serve", help="Also serve the page on 127.0.0.1 until Ctrl-C.")
    ] = False,
    port: Annotated[int, typer.Option(help="Port for --serve (0: any free port).")] = 8765,
    run_key: RunKeyOption = None,
    judge_key: JudgeKeyOption = None,
    db: DbOption = None,
) -> None:
    """Write one self-contained HTML page to browse, filter and compare the trajectories of a run."""
    with console.status(f"reading the trajectories of {folder}…"):
        data = _load(folder, db, run_key, judge_key)
    target = out or folder / "toolforge-view.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_page(data), encoding="utf-8")
    judged = sum(1 for r in data.rows if r["status"] != "unjudged")
    accepted = sum(1 for r in data.rows if r["status"] == "accepted")
    console.print(
        f"{len(data.rows)} trajectories ({judged} judged, {accepted} accepted) of {len(data.tasks)} tasks "
        f"-> {target} (open it in a browser; it needs no server)"
    )
    if serve_page:
        server = serve(target, port)
        console.print(f"serving http://127.0.0.1:{server.server_address[1]}/{target.name} (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    failing = [c for c in row["checks"] if not c["passed"]]
    return {
        "id": row["id"],
        "task_id": row["task_id"],
        "attempt": row["attempt"],
        "domain": row["domain"],
        "difficulty": row["difficulty"],
        "status": row["status"],
        "score": row["score"],
        "end_reason": row["end_reason"],
        "failing_checks": {c["check"]: c["reason"] for c in failing},
        "tools_used": row["tools_used"],
        "turns": row["turns"],
        "tool_calls": row["tool_calls"],
    }


@trajectories_app.command("list")
def trajectories_list(
    folder: Annotated[
        Path, typer.Argument(help="A run folder (toolforge.db) or an export folder (openai.jsonl).")
    ] = Path("toolforge-data"),
    domain: Annotated[str | None, typer.Option(help="Only this domain.")] = None,
    difficulty: Annotated[str | None, typer.Option(help="Only this difficulty.")] = None,
    status: Annotated[str | None, typer.Option(help="accepted, rejected or unjudged.")] = None,
    failing_check: Annotated[str | None, typer.Option(help="Only those failing this check.")] = None,
    reason: Annotated[str | None, typer.Option(help="A failing check's reason contains this.")] = None,
    min_score: Annotated[float | None, typer.Option(help="Score at least this.")] = None,
    max_score: Annotated[float | None, typer.Option(help="Score at most this.")] = None,
    tool: Annotated[str | None, typer.Option(help="Only those that called this tool.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array on stdout, for scripts.")] = False,
    run_key: RunKeyOption = None,
    judge_key: JudgeKeyOption = None,
    db: DbOption = None,
) -> None:
    """Trajectories with the viewer's filters: a table, or JSON with --json."""
    if status is not None and status not in ("accepted", "rejected", "unjudged"):
        raise typer.BadParameter(f"{status!r}: choose accepted, rejected or unjudged", param_hint="--status")
    row_filter = RowFilter(
        domain=domain,
        difficulty=difficulty,
        status=status,
        failing_check=failing_check,
        reason=reason,
        min_score=min_score,
        max_score=max_score,
        tool=tool,
    )
    data = _load(folder, db, run_key, judge_key)
    rows = [_summary(r) for r in data.rows if row_filter.matches(r)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(rows)} of {len(data.rows)} trajectories")
    for column in (
        "id",
        "domain",
        "difficulty",
        "attempt",
        "status",
        "score",
        "failing checks",
        "tools used",
    ):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["id"],
            r["domain"],
            r["difficulty"],
            str(r["attempt"]),
            r["status"],
            f"{r['score']:.2f}",
            ", ".join(r["failing_checks"]),
            ", ".join(r["tools_used"]),
        )
    console.print(table)
