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
        counts[min(bins - 1, max(0, int(score * bins)))] += 1
    return counts


def dataset_stats(
    exported: list[ExportRecord],
    considered: list[ExportRecord],
    dropped: dict[str, int],
    sharegpt_dropped: int,
) -> dict[str, Any]:
    tool_calls: Counter[str] = Counter()
    tool_trajs: Counter[str] = Counter()
    offered: set[str] = set()
    checks: dict[str, list[bool]] = {}
    domains: dict[str, dict[str, Any]] = {}
    for record in exported:
        traj = record.trajectory
        names = [call.name for _, call in traj.tool_calls]
        tool_calls.update(names)
        tool_trajs.update(set(names))
        offered.update(t.get("function", t)["name"] for t in traj.tools)
        for check in record.verdict.checks if record.verdict else []:
            checks.setdefault(check.check, []).append(check.passed)
        domain = domains.setdefault(
            record.domain or "-", {"trajectories": 0, "tasks": set(), "difficulty": Counter()}
        )
        domain["trajectories"] += 1
        domain["tasks"].add(traj.task_id)
        domain["difficulty"][record.task.difficulty if record.task else "-"] += 1
    n_messages = sum(len(r.trajectory.messages) for r in exported)
    return {
        "exported": len(exported),
        "considered": len(considered),
        "dropped_by_filter": dict(sorted(dropped.items())),
        "tasks": len({r.trajectory.task_id for r in exported}),
        "agents": len({r.trajectory.agent_id for r in exported}),
        "messages": n_messages,
        "tool_calls": sum(tool_calls.values()),
        "mean_messages": round(n_messages / len(exported), 2) if exported else 0.0,
        "score_histogram": histogram([r.score for r in exported]),
        "score_histogram_considered": histogram([r.score for r in considered]),
        "accepted_considered": sum(r.accepted for r in considered),
        "check_pass_rate": {k: round(sum(v) / len(v), 4) for k, v in sorted(checks.items())},
        "tools": {
            name: {"calls": tool_calls[name], "trajectories": tool_trajs[name]}
            for name in sorted(tool_calls, key=lambda n: (-tool_calls[n], n))
        },
        "tools_offered": len(offered),
        "tools_used": len(tool_calls),
        "tools_never_called": sorted(offered - set(tool_calls)),
        "domains": {
            name: {
                "trajectories": d["trajectories"],
                "tasks": len(d["tasks"]),
                "difficulty": dict(sorted(d["difficulty"].items())),
            }
            for name, d in sorted(domains.items())
        },
        "difficulty": dict(sorted(Counter(r.task.difficulty if r.task else "-" for r in exported).items())),
        "sharegpt_texts_dropped": sharegpt_dropped,
    }
