"""`toolforge stats`: what the store holds, per table and per run."""

from __future__ import annotations

from rich.table import Table

from toolforge.commands.common import DbOption, console, open_store
from toolforge.core.store import RunRow, Store, WorkUnitRow


def stats(db: DbOption = None) -> None:
    """Count the rows of every table, and show each run's status and totals."""
    store = open_store(db)
    counts = Table(title=f"store {store.display_url}")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for name, n in store.table_counts().items():
        counts.add_row(name, str(n))
    console.print(counts)
    runs = store.rows(RunRow)
    if runs:
        table = Table(title="runs")
        for column in ("run", "kind", "status", "llm calls", "tokens", "cost $", "started"):
            table.add_column(column)
        for run in sorted(runs, key=lambda r: r.started_at):
            totals = store.llm_totals(run.id)
            table.add_row(
                run.id,
                run.kind,
                run.status,
                str(totals["calls"]),
                str(int(totals["prompt_tokens"] + totals["completion_tokens"])),
                f"{totals['cost_usd']:.4f}",
                run.started_at.strftime("%Y-%m-%d %H:%M"),
            )
        console.print(table)
    print_nodes(store)
    store.close()


def print_nodes(store: Store) -> None:
    """Which node made what, for runs spread over a cluster (`generate --ray`)."""
    units = store.rows(WorkUnitRow)
    if not units:
        return
    tally: dict[tuple[str, str, str], list[float]] = {}
    for unit in units:
        row = tally.setdefault((unit.run_id, unit.node, unit.stage), [0, 0, 0, 0.0])
        row[0] += 1
        row[1] += unit.trajectories
        row[2] += unit.verdicts
        row[3] += unit.seconds
    table = Table(title="cluster nodes: which node made what")
    for column in ("run", "node", "stage", "units", "trajectories", "verdicts", "busy s"):
        table.add_column(
            column, justify="right" if column in ("units", "trajectories", "verdicts", "busy s") else "left"
        )
    for (run_id, node, stage), (n, trajs, verdicts, seconds) in sorted(tally.items()):
        table.add_row(run_id, node, stage, str(int(n)), str(int(trajs)), str(int(verdicts)), f"{seconds:.1f}")
    console.print(table)
