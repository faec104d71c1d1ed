"""`toolforge tools …`: the tool library — harvest, import, export, synthesize, dedup, graph, list,
show, stats."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import networkx as nx
import typer
from rich.table import Table

from toolforge.commands.common import DbOption, console, fail, open_store, progress_bar
from toolforge.commands.summary import DEFAULT_MAX_FAILURE_RATE, FailureSummary, MaxFailureRateOption
from toolforge.core import aio
from toolforge.core.errors import ToolforgeError
from toolforge.core.ids import digest
from toolforge.core.store import RunRow, Store
from toolforge.core.types import ToolSpec
from toolforge.tools import catalog
from toolforge.tools.convert import to_wire
from toolforge.tools.dedup import DEFAULT_INTERFACE_GATE, DEFAULT_THRESHOLD, apply, dedup
from toolforge.tools.graph import ToolGraph
from toolforge.tools.harvest import LIST_TIMEOUT_S, START_TIMEOUT_S, ServerReport, harvest
from toolforge.tools.library import admit, load_tools
from toolforge.tools.servers import ServerConfig, load_servers, server_from_cli
from toolforge.tools.validate import MAX_DESCRIPTION

if TYPE_CHECKING:
    from toolforge.tools.synthesis import SynthesisReport  # imports litellm: slow, this command's own

app = typer.Typer(help="The tool library: real MCP tools, catalogs, synthetic tools, dedup, the tool graph.")

Format = Literal["auto", "mcp", "openai"]
CONFLICT_FIX = (
    "both are stored (`toolforge tools show NAME`): rename one, or import them from different origins"
)


def _embed_cache(store: Store) -> Path:
    if store.is_sqlite and ":memory:" not in store.url:
        return Path(store.url.split("///", 1)[1]).parent / "embeddings-minilm.npz"
    return Path("toolforge-data") / "embeddings-minilm.npz"


@app.command("harvest")
def harvest_cmd(
    servers: Annotated[
        list[Path] | None, typer.Option("--servers", "-s", help="mcpServers JSON/YAML file (repeatable).")
    ] = None,
    server: Annotated[
        list[str] | None,
        typer.Option(
            "--server",
            help="A stdio command line ('mcp-server-time --local-timezone UTC') or an http(s) URL.",
        ),
    ] = None,
    start_timeout: Annotated[
        float, typer.Option(help="Seconds to finish the MCP handshake.")
    ] = START_TIMEOUT_S,
    list_timeout: Annotated[float, typer.Option(help="Seconds to page through tools/list.")] = LIST_TIMEOUT_S,
    max_description: Annotated[int, typer.Option(help="Longer descriptions are rejected.")] = MAX_DESCRIPTION,
    max_failed: Annotated[
        int, typer.Option(help="Exit 0 only when at most this many servers failed (default: none may fail).")
    ] = 0,
    max_failure_rate: MaxFailureRateOption = DEFAULT_MAX_FAILURE_RATE,
    db: DbOption = None,
) -> None:
    """Connect to MCP servers, list their tools and store each as sent (invalid ones as rejected).

    Exits 1 when more than --max-failed servers failed (or none answered), naming them, or when
    more than --max-failure-rate of the listed tools were rejected."""
    configs = _server_configs(servers or [], server or [])
    store = open_store(db)
    summary = FailureSummary(store)  # a failed server is stored as a failure row by harvest()
    with progress_bar("harvest") as bar:
        task = bar.add_task("servers", total=len(configs))

        def done(_: ServerReport) -> None:
            bar.advance(task)

        reports = aio.run(
            harvest(
                store,
                configs,
                start_timeout_s=start_timeout,
                list_timeout_s=list_timeout,
                max_description=max_description,
                on_done=done,
            )
        )
    _print_reports(reports, summary)
    ok = [r for r in reports if r.ok]
    failed = [r.server for r in reports if not r.ok]
    console.print(
        f"{sum(r.tools for r in ok)} tools from {len(ok)}/{len(reports)} servers "
        f"({sum(len(r.rejected) for r in ok)} rejected)"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    problems = (
        [
            f"{len(failed)} of {len(reports)} server(s) failed: {', '.join(failed)}; fix their commands "
            "in the servers file, or pass --max-failed N to accept N failures"
        ]
        if not ok or len(failed) > max_failed
        else []
    )
    rejected = sum(len(r.rejected) for r in ok)
    try:
        summary.finish(
            {"harvest": (sum(r.tools for r in ok) - rejected, rejected)}, max_failure_rate, problems
        )
    finally:
        store.close()


def _server_configs(files: list[Path], specs: list[str]) -> list[ServerConfig]:
    """The servers from the files and the --server specs: at least one, each name once."""
    configs: list[ServerConfig] = []
    try:
        for path in files:
            configs += load_servers(path)
        configs += [server_from_cli(spec) for spec in specs]
    except ToolforgeError as exc:
        fail(str(exc))
    if not configs:
        fail("no servers: pass --servers FILE (mcpServers JSON/YAML) or --server 'COMMAND' / --server URL")
    names = [c.name for c in configs]
    if dupes := sorted(n for n, k in Counter(names).items() if k > 1):
        fail(f"server names must be unique, repeated: {', '.join(dupes)}; rename them in the servers file")
    return configs


def _print_reports(reports: list[ServerReport], summary: FailureSummary) -> None:
    """One row per server, then each server's error, rejected tools (counted in `summary`) and
    changed tools."""
    table = Table(title="harvest")
    for column in ("server", "status", "info", "tools", "new", "changed", "removed", "rejected", "s"):
        table.add_column(column)
    for r in reports:
        status = "[green]ok[/]" if r.ok else "[red]failed[/]"
        table.add_row(
            r.server, status, r.server_info, str(r.tools), str(len(r.new)), str(len(r.changed)),
            str(len(r.removed)), str(len(r.rejected)), f"{r.seconds:.1f}",
        )  # fmt: skip
    console.print(table)
    for r in reports:
        if r.error:
            console.print(f"[red]{r.server}[/]: {r.error}")
        for name, reason in r.rejected.items():
            console.print(f"[yellow]{r.server}/{name[:60]}[/] rejected: {reason[:300]}")
            summary.add("harvest", f"rejected: {reason}", f"{r.server}/{name[:60]}")
        if r.changed:
            console.print(f"{r.server}: changed since last harvest: {', '.join(r.changed)}")


def _format(path: Path, fmt: Format) -> str:
    if fmt != "auto":
        return fmt
    try:
        return catalog.detect_format(path)
    except ToolforgeError as exc:
        fail(str(exc))


@app.command("import")
def import_cmd(
    path: Annotated[
        Path, typer.Argument(help="A .jsonl of MCP Tool objects or a .json OpenAI function list.")
    ],
    fmt: Annotated[Format, typer.Option("--format", help="Default: by file extension.")] = "auto",
    max_failure_rate: MaxFailureRateOption = DEFAULT_MAX_FAILURE_RATE,
    db: DbOption = None,
) -> None:
    """Import a catalog; invalid tools are stored as rejected, unparsable lines as failures.

    Exits 1 when no tool imports while some fail, or more than --max-failure-rate of them fail."""
    if not path.exists():
        fail(f"{path} does not exist")
    kind = _format(path, fmt)
    store = open_store(db)
    summary = FailureSummary(store)
    try:
        items = list(catalog.read_mcp_jsonl(path) if kind == "mcp" else catalog.read_openai(path))
    except ToolforgeError as exc:
        fail(str(exc))
    tools = [t for _, t in items if isinstance(t, ToolSpec)]
    errors = [e for _, e in items if isinstance(e, str)]
    for error in errors:
        store.record_failure("tools.import", str(path), error)
    result = admit(store, tools)
    console.print(
        f"imported {path.name} ({kind}): {len(result.added)} added, {len(result.unchanged)} unchanged, "
        f"{len(result.rejected)} rejected, {len(result.conflicts)} conflicts, "
        f"{len(result.repeated)} repeated, {len(errors)} unparsable ({result.stored} rows written)"
    )
    for tool_id, reason in [*result.rejected.items(), *result.conflicts.items()][:20]:
        console.print(f"[yellow]{result.names[tool_id][:60]}[/] ({tool_id}): {reason[:300]}")
    for error in errors[:10]:
        console.print(f"[yellow]{error}[/]")
    for tool_id, reason in result.rejected.items():
        summary.add("tools.import", f"rejected: {reason}", result.names[tool_id])
    for tool_id in result.conflicts:
        summary.add(
            "tools.import", "conflict: a different tool has this name", result.names[tool_id], CONFLICT_FIX
        )
    made = len(result.added) + len(result.unchanged) + len(result.repeated)
    failed = len(result.rejected) + len(result.conflicts) + len(errors)
    try:
        summary.finish({"tools.import": (made, failed)}, max_failure_rate)
    finally:
        store.close()


@app.command("export")
def export_cmd(
    path: Annotated[Path, typer.Argument(help="Output .jsonl (MCP) or .json (OpenAI).")],
    fmt: Annotated[Format, typer.Option("--format")] = "auto",
    status: Annotated[str, typer.Option(help="ok | rejected | duplicate | all")] = "ok",
    source: Annotated[str | None, typer.Option(help="mcp | synthetic | catalog | python")] = None,
    db: DbOption = None,
) -> None:
    """Export the library as MCP JSONL (exact wire form) or an OpenAI function list."""
    kind = _format(path, fmt)
    store = open_store(db)
    where = {"source": source} if source else {}
    tools = load_tools(store, status=None if status == "all" else status, **where)
    n = catalog.write_mcp_jsonl(tools, path) if kind == "mcp" else catalog.write_openai(tools, path)
    console.print(f"wrote {n} tools to {path} ({kind})")
    store.close()


@app.command("synthesize")
def synthesize_cmd(
    target: Annotated[int, typer.Option(help="Synthetic tools wanted in the library.")] = 200,
    model: Annotated[
        str, typer.Option(help="litellm model string; local/smollm2 = the bundled model.")
    ] = "local/smollm2",
    api_base: Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint for the model.")] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable that holds the API key.")
    ] = None,
    categories: Annotated[
        str | None, typer.Option(help="Comma-separated categories (default: the model proposes).")
    ] = None,
    n_categories: Annotated[int, typer.Option(help="Categories to ask for when none are given.")] = 12,
    tools_per_domain: Annotated[int, typer.Option()] = 8,
    concurrency: Annotated[int, typer.Option()] = 16,
    run_id: Annotated[str | None, typer.Option(help="Resume this run (default: a new id).")] = None,
    max_failure_rate: MaxFailureRateOption = DEFAULT_MAX_FAILURE_RATE,
    db: DbOption = None,
) -> None:
    """Evolve synthetic tools category → domain → tool until the library holds --target of them.

    Exits 1 when no tool was made while some failed, or more than --max-failure-rate failed."""
    from toolforge.core.llm import LLMClient, LLMConfig  # litellm import is slow; only this command needs it
    from toolforge.tools.synthesis import LOCAL_SAMPLING, SynthesisConfig, Synthesizer, existing_synthetic

    try:
        cfg = SynthesisConfig(
            target=target,
            categories=[c.strip() for c in categories.split(",")] if categories else [],
            n_categories=n_categories,
            tools_per_domain=tools_per_domain,
            concurrency=concurrency,
        )
        sampling = LOCAL_SAMPLING if model.startswith("local/") else {}
        llm = LLMConfig(
            model=model, api_base=api_base, api_key_env=api_key_env, concurrency=concurrency, **sampling
        )
    except ValueError as exc:
        fail(str(exc).splitlines()[0])
    store = open_store(db)
    run = run_id or f"synth_{uuid.uuid4().hex[:8]}"
    config = {"synthesis": cfg.model_dump(), "model": model}
    store.save_run(RunRow(id=run, kind="tools.synthesize", config_fingerprint=digest(config), config=config))

    summary = FailureSummary(store)  # failed model calls are stored as failure rows
    rejected_before = {r.id for r in store.tool_rows(source="synthetic", status="rejected")}

    async def go() -> SynthesisReport:
        with progress_bar("synthesize") as bar:
            task = bar.add_task("tools", total=target)
            async with LLMClient(store, run_id=run) as client:
                syn = Synthesizer(store, client, llm, cfg, on_progress=lambda n: bar.advance(task, n))
                bar.update(
                    task, completed=min(target, sum(len(v) for v in existing_synthetic(store).values()))
                )
                return await syn.run()

    try:
        report = aio.run(go())
        print_synthesis(run, report)
        for row in store.tool_rows(source="synthetic", status="rejected"):
            if row.id not in rejected_before:
                summary.add("tools.synthesize", f"rejected: {row.reason or ''}", row.name)
        counts = {"tools.synthesize": (report.accepted, report.rejected + report.failed_calls)}
        summary.finish(counts, max_failure_rate)
    except ToolforgeError as exc:
        fail(str(exc))
    finally:
        store.close()


def print_synthesis(run: str, report: SynthesisReport) -> None:
    table = Table(title=f"synthesis run {run}: {report.accepted} new tools ({report.already} before)")
    for column in ("category", "earlier", "new", "rejected", "not novel"):
        table.add_column(column)
    for category, counts in sorted(report.by_category.items()):
        table.add_row(
            category,
            str(counts["earlier"]),
            str(counts["ok"]),
            str(counts["rejected"]),
            str(counts["not_novel"]),
        )
    console.print(table)
    console.print(
        f"{len(report.categories)} categories, {report.domains} domains, "
        f"{report.failed_calls} failed model calls (stored as failures)"
    )


@app.command("dedup")
def dedup_cmd(
    threshold: Annotated[
        float, typer.Option(help="Cosine similarity at or above which tools are near-duplicates.")
    ] = DEFAULT_THRESHOLD,
    interface_gate: Annotated[
        float, typer.Option(help="Min Jaccard of input parameter names for a near-duplicate.")
    ] = DEFAULT_INTERFACE_GATE,
    exact_only: Annotated[bool, typer.Option("--exact-only", help="Skip embeddings.")] = False,
    db: DbOption = None,
) -> None:
    """Link exact and near-duplicate tools to the tool kept (status 'duplicate'); nothing is deleted."""
    store = open_store(db)
    tools = [t for s in ("ok", "duplicate") for t in load_tools(store, status=s)]
    embedder = None
    if not exact_only:
        from toolforge.tools.embed import MiniLMEmbedder  # torch: loaded only when embeddings are wanted

        embedder = MiniLMEmbedder(_embed_cache(store))
    try:
        result = dedup(tools, embedder, threshold, interface_gate)
    except ValueError as exc:
        fail(str(exc))
    changed = apply(store, tools, result)
    console.print(
        f"{len(tools)} tools: {len(result.kept)} kept, {len(result.exact)} exact duplicates, "
        f"{len(result.near)} near-duplicates (threshold {threshold}); {changed} rows updated"
    )
    store.close()


@app.command("graph")
def graph_cmd(
    seed: Annotated[
        int | None, typer.Option(help="Also sample a toolset and a chain with this seed.")
    ] = None,
    min_size: Annotated[int, typer.Option()] = 3,
    max_size: Annotated[int, typer.Option()] = 8,
    embed: Annotated[
        bool, typer.Option(help="Also link parameters by embedding similarity of names.")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Write the graph as node-link JSON.")] = None,
    db: DbOption = None,
) -> None:
    """Build the tool graph over the library's ok tools and print its statistics."""
    store = open_store(db)
    tools = load_tools(store)
    if not tools:
        fail("the library is empty; run `toolforge tools harvest`, `import` or `synthesize` first")
    embedder = None
    if embed:
        from toolforge.tools.embed import MiniLMEmbedder

        embedder = MiniLMEmbedder(_embed_cache(store))
    graph = ToolGraph.build(tools, embedder=embedder)
    table = Table(title="tool graph")
    table.add_column("statistic")
    table.add_column("value", justify="right")
    for key, value in graph.stats().items():
        table.add_row(key, str(value))
    console.print(table)
    if seed is not None:
        try:
            toolset = graph.sample_toolset(seed, min_size, max_size)
        except ValueError as exc:
            fail(str(exc))
        chain = graph.sample_chain(toolset, len(toolset), seed)
        console.print("toolset: " + ", ".join(t.name for t in toolset))
        console.print("chain:   " + " → ".join(t.name for t in chain))
    if out is not None:
        out.write_text(json.dumps(nx.node_link_data(graph.graph, edges="edges"), default=list))
        console.print(f"wrote {out}")
    store.close()


@app.command("list")
def list_cmd(
    source: Annotated[str | None, typer.Option()] = None,
    status: Annotated[str, typer.Option(help="ok | rejected | duplicate | all")] = "ok",
    limit: Annotated[int, typer.Option()] = 50,
    db: DbOption = None,
) -> None:
    """List tools: name, source, origin, status."""
    store = open_store(db)
    where: dict[str, str] = {"source": source} if source else {}
    if status != "all":
        where["status"] = status
    rows = sorted(store.tool_rows(**where), key=lambda r: (r.source, r.origin, r.name))
    table = Table(title=f"{len(rows)} tools" + (f" (first {limit})" if len(rows) > limit else ""))
    for column in ("name", "source", "origin", "status", "id"):
        table.add_column(column)
    for r in rows[:limit]:
        table.add_row(r.name, r.source, r.origin, r.status, r.id)
    console.print(table)
    store.close()


@app.command("show")
def show_cmd(
    tool: Annotated[str, typer.Argument(help="A tool id, or a name (all tools with that name are shown).")],
    db: DbOption = None,
) -> None:
    """Show a tool: its wire form, our fields, status and reason."""
    store = open_store(db)
    rows = store.tool_rows(id=tool) or store.tool_rows(name=tool)
    if not rows:
        fail(f"no tool with id or name {tool!r}; `toolforge tools list --status all` shows what exists")
    for row in rows:
        spec = ToolSpec.model_validate(row.data)
        console.print(f"[bold]{spec.name}[/] {row.id} status={row.status}"
                      + (f" duplicate_of={row.duplicate_of}" if row.duplicate_of else "")
                      + (f" reason={row.reason[:300]}" if row.reason else ""))  # fmt: skip
        console.print_json(
            json.dumps(
                {
                    "wire": to_wire(spec),
                    "source": spec.source,
                    "origin": spec.origin,
                    "category": spec.category,
                    "domain": spec.domain,
                    "semantics": spec.semantics.model_dump() if spec.semantics else None,
                    "provenance": spec.provenance,
                    "fingerprint": spec.fingerprint,
                },
                default=str,
            )[:20000]
        )
    store.close()


@app.command("stats")
def stats_cmd(db: DbOption = None) -> None:
    """Tools by source and status, and synthetic tools by category."""
    store = open_store(db)
    rows = store.tool_rows()
    by = Counter((r.source, r.status) for r in rows)
    table = Table(title=f"{len(rows)} tools")
    statuses = ("ok", "rejected", "duplicate")
    table.add_column("source")
    for s in statuses:
        table.add_column(s, justify="right")
    for source in sorted({r.source for r in rows}):
        table.add_row(source, *(str(by[(source, s)]) for s in statuses))
    console.print(table)
    cats = Counter(r.category for r in rows if r.source == "synthetic" and r.status == "ok")
    if cats:
        ct = Table(title="synthetic tools by category (ok)")
        ct.add_column("category")
        ct.add_column("tools", justify="right")
        for category, n in cats.most_common():
            ct.add_row(str(category), str(n))
        console.print(ct)
    store.close()
