"""The card's figures: PNG files beside it, drawn with matplotlib's Agg canvas (no display needed).

Each figure is computed from the records alone: acceptance and pass@k over every trajectory
considered (rejected attempts count there), coverage and lengths over the exported ones.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolforge.export.records import ExportRecord

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIGURES_DIR = "figures"
TOP_TOOLS = 30


Group = Callable[[ExportRecord], str]
DIMENSIONS: dict[str, Group] = {
    "domain": lambda r: r.domain,
    "difficulty": lambda r: r.task.difficulty if r.task else "",
}


def pass_at_k(records: list[ExportRecord], key: Group) -> dict[str, dict[int, float]]:
    """Per group: for k = 1..most attempts, the share of tasks with an accepted attempt among their first k."""
    tasks: dict[str, dict[str, list[tuple[int, bool]]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        tasks[key(record) or "-"][record.trajectory.task_id].append(
            (record.trajectory.attempt, record.accepted)
        )
    return _pass_at_k(tasks)


def _pass_at_k(tasks: dict[str, dict[str, list[tuple[int, bool]]]]) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    for group, by_task in sorted(tasks.items()):
        attempts = [[accepted for _, accepted in sorted(a, key=lambda p: p[0])] for a in by_task.values()]
        most = max(len(a) for a in attempts)
        out[group] = {k: sum(any(a[:k]) for a in attempts) / len(attempts) for k in range(1, most + 1)}
    return out


class FigureTally:
    """What the figures draw, fed one record at a time (an export streams its records): per
    record a few numbers and its task's id, never the record."""

    def __init__(self) -> None:
        # dimension -> group -> task -> [(attempt, accepted)]
        self.attempts: dict[str, dict[str, dict[str, list[tuple[int, bool]]]]] = {
            d: defaultdict(lambda: defaultdict(list)) for d in DIMENSIONS
        }
        self.totals: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
        self.accepted: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
        self.scores_considered: list[float] = []
        self.scores_exported: list[float] = []
        self.calls: Counter[str] = Counter()
        self.offered: set[str] = set()
        self.turns: list[int] = []
        self.call_counts: list[int] = []

    def consider(self, record: ExportRecord) -> None:
        for dimension, key in DIMENSIONS.items():
            group = key(record) or "-"
            self.attempts[dimension][group][record.trajectory.task_id].append(
                (record.trajectory.attempt, record.accepted)
            )
            self.totals[dimension][group] += 1
            self.accepted[dimension][group] += record.accepted
        self.scores_considered.append(record.score)

    def export(self, record: ExportRecord) -> None:
        traj = record.trajectory
        self.scores_exported.append(record.score)
        self.calls.update(call.name for _, call in traj.tool_calls)
        self.offered.update(t.get("function", t)["name"] for t in traj.tools)
        self.turns.append(sum(m.role == "user" for m in traj.messages))
        self.call_counts.append(len(traj.tool_calls))


def _new_figure(**options: Any) -> Figure:
    """A matplotlib figure; matplotlib is imported here, not with this module (a second of CPU that
    every process importing the pipeline paid, cluster nodes that never export included)."""
    from matplotlib.figure import Figure

    return Figure(**options)


def _save(figure: Figure, path: Path) -> None:
    figure.tight_layout()
    # No Software key: the same records give the same bytes.
    tmp = path.with_name(path.name + ".tmp")
    figure.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    os.replace(tmp, path)


def _acceptance(data: FigureTally, path: Path) -> None:
    figure = _new_figure(figsize=(10, 4))
    for i, title in enumerate(DIMENSIONS):
        axis = figure.add_subplot(1, 2, i + 1)
        curves = _pass_at_k(data.attempts[title])
        totals = data.totals[title]
        accepted = data.accepted[title]
        names = sorted(totals)
        width = 0.8 / (1 + max((len(c) for c in curves.values()), default=0))
        xs = range(len(names))
        axis.bar(
            [x - 0.4 + width / 2 for x in xs],
            [accepted[n] / totals[n] for n in names],
            width,
            label="acceptance",
        )
        most = max((len(c) for c in curves.values()), default=0)
        for k in range(1, most + 1):
            values = [curves[n].get(k, curves[n][max(curves[n])]) for n in names]
            axis.bar([x - 0.4 + width * (k + 0.5) for x in xs], values, width, label=f"pass@{k}")
        axis.set_xticks(list(xs), names, rotation=30, ha="right")
        axis.set_ylim(0, 1)
        axis.set_title(f"acceptance and pass@k by {title}")
        axis.legend(fontsize=7)
    _save(figure, path)


def _scores(data: FigureTally, path: Path) -> None:
    figure = _new_figure(figsize=(6, 3.5))
    axis = figure.add_subplot(1, 1, 1)
    bins = [i / 10 for i in range(11)]
    axis.hist(data.scores_considered, bins=bins, alpha=0.5, label="considered")
    axis.hist(data.scores_exported, bins=bins, alpha=0.7, label="exported")
    axis.set_xlabel("judge score")
    axis.set_ylabel("trajectories")
    axis.set_title("judge score distribution")
    axis.legend()
    _save(figure, path)


def _tools(data: FigureTally, path: Path) -> None:
    calls, offered = data.calls, data.offered
    names = sorted(offered | set(calls), key=lambda n: (-calls[n], n))[:TOP_TOOLS]
    figure = _new_figure(figsize=(8, max(3.0, 0.25 * len(names) + 1)))
    axis = figure.add_subplot(1, 1, 1)
    axis.barh(names[::-1], [calls[n] for n in names[::-1]])
    axis.set_xlabel("calls")
    shown = f" (top {TOP_TOOLS})" if len(offered | set(calls)) > TOP_TOOLS else ""
    axis.set_title(f"tool coverage: {len(offered)} offered, {len(calls)} used{shown}")
    _save(figure, path)


def _lengths(data: FigureTally, path: Path) -> None:
    figure = _new_figure(figsize=(10, 3.5))
    turns, calls = data.turns, data.call_counts
    for i, (title, values) in enumerate((("user turns", turns), ("tool calls", calls))):
        axis = figure.add_subplot(1, 2, i + 1)
        top = max(values, default=0)
        axis.hist(values, bins=[b - 0.5 for b in range(top + 2)])
        axis.set_xlabel(f"{title} per trajectory")
        axis.set_ylabel("trajectories")
        axis.set_title(f"{title} per trajectory")
    _save(figure, path)


def write_figures(
    exported: list[ExportRecord], considered: list[ExportRecord], out_dir: Path
) -> dict[str, str]:
    """Write the card's PNG figures under `out_dir/figures`; returns {title: path relative to out_dir}."""
    data = FigureTally()
    for record in considered:
        data.consider(record)
    for record in exported:
        data.export(record)
    return write_figure_tally(data, out_dir)


def write_figure_tally(data: FigureTally, out_dir: Path) -> dict[str, str]:
    """`write_figures` from a tally an export fed record by record."""
    folder = out_dir / FIGURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "Acceptance and pass@k per domain and difficulty": "acceptance.png",
        "Judge score distribution": "scores.png",
        "Tool coverage": "tools.png",
        "Turns and tool calls per trajectory": "lengths.png",
    }
    _acceptance(data, folder / made["Acceptance and pass@k per domain and difficulty"])
    _scores(data, folder / made["Judge score distribution"])
    _tools(data, folder / made["Tool coverage"])
    _lengths(data, folder / made["Turns and tool calls per trajectory"])
    return {title: f"{FIGURES_DIR}/{name}" for title, name in made.items()}
