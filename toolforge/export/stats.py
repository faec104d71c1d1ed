"""The numbers a dataset card shows: counts, score histograms, tool and domain coverage."""

from __future__ import annotations

from collections import Counter
from typing import Any

from toolforge.export.records import ExportRecord

BINS = 10


def histogram(scores: list[float], bins: int = BINS) -> list[int]:
    """Counts of scores in `bins` equal bins over [0, 1] (1.0 falls in the last)."""
    counts = [0] * bins
    for score in scores:
        counts[_bin(score, bins)] += 1
    return counts


class StatsTally:
    """The card's numbers, fed one record at a time (an export streams its records): counts and
    the ids of tasks and agents, never the records."""

    def __init__(self) -> None:
        self.exported = 0
        self.considered = 0
        self.accepted_considered = 0
        self.scores = [0] * BINS
        self.scores_considered = [0] * BINS
        self.messages = 0
        self.tool_calls: Counter[str] = Counter()
        self.tool_trajs: Counter[str] = Counter()
        self.offered: set[str] = set()
        self.checks: dict[str, list[int]] = {}  # check -> [passed, seen]
        self.domains: dict[str, dict[str, Any]] = {}
        self.difficulty: Counter[str] = Counter()
        self.tasks: set[str] = set()
        self.agents: set[str] = set()

    def consider(self, record: ExportRecord) -> None:
        self.considered += 1
        self.accepted_considered += record.accepted
        self.scores_considered[_bin(record.score)] += 1

    def export(self, record: ExportRecord) -> None:
        traj = record.trajectory
        self.exported += 1
        self.scores[_bin(record.score)] += 1
        self.messages += len(traj.messages)
        self.tasks.add(traj.task_id)
        self.agents.add(traj.agent_id)
        names = [call.name for _, call in traj.tool_calls]
        self.tool_calls.update(names)
        self.tool_trajs.update(set(names))
        self.offered.update(t.get("function", t)["name"] for t in traj.tools)
        for check in record.verdict.checks if record.verdict else []:
            counts = self.checks.setdefault(check.check, [0, 0])
            counts[0] += check.passed
            counts[1] += 1
        difficulty = record.task.difficulty if record.task else "-"
        domain = self.domains.setdefault(
            record.domain or "-", {"trajectories": 0, "tasks": set(), "difficulty": Counter()}
        )
        domain["trajectories"] += 1
        domain["tasks"].add(traj.task_id)
        domain["difficulty"][difficulty] += 1
        self.difficulty[difficulty] += 1

    def stats(self, dropped: dict[str, int], sharegpt_dropped: int) -> dict[str, Any]:
        tool_calls = self.tool_calls
        return {
            "exported": self.exported,
            "considered": self.considered,
            "dropped_by_filter": dict(sorted(dropped.items())),
            "tasks": len(self.tasks),
            "agents": len(self.agents),
            "messages": self.messages,
            "tool_calls": sum(tool_calls.values()),
            "mean_messages": round(self.messages / self.exported, 2) if self.exported else 0.0,
            "score_histogram": list(self.scores),
            "score_histogram_considered": list(self.scores_considered),
            "accepted_considered": self.accepted_considered,
            "check_pass_rate": {k: round(v[0] / v[1], 4) for k, v in sorted(self.checks.items())},
            "tools": {
                name: {"calls": tool_calls[name], "trajectories": self.tool_trajs[name]}
                for name in sorted(tool_calls, key=lambda n: (-tool_calls[n], n))
            },
            "tools_offered": len(self.offered),
            "tools_used": len(tool_calls),
            "tools_never_called": sorted(self.offered - set(tool_calls)),
            "domains": {
                name: {
                    "trajectories": d["trajectories"],
                    "tasks": len(d["tasks"]),
                    "difficulty": dict(sorted(d["difficulty"].items())),
                }
                for name, d in sorted(self.domains.items())
            },
            "difficulty": dict(sorted(self.difficulty.items())),
            "sharegpt_texts_dropped": sharegpt_dropped,
        }


def _bin(score: float, bins: int = BINS) -> int:
    return min(bins - 1, max(0, int(score * bins)))


def dataset_stats(
    exported: list[ExportRecord],
    considered: list[ExportRecord],
    dropped: dict[str, int],
    sharegpt_dropped: int,
) -> dict[str, Any]:
    tally = StatsTally()
    for record in considered:
        tally.consider(record)
    for record in exported:
        tally.export(record)
    return tally.stats(dropped, sharegpt_dropped)
