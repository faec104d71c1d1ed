"""What the viewer and `toolforge trajectories list` show: one plain row per trajectory, read from a
store or from an exported dataset folder, and the one filter both apply.

A row is JSON-ready (it is embedded in the HTML page as is); tasks are kept apart, once each,
because every attempt at a task shares its goal, rubric and blueprint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolforge.core.store import Store
from toolforge.core.store.location import DEFAULT_PATH
from toolforge.core.types import Task
from toolforge.export.dataset_folder import DATASET_FILE, find_dataset
from toolforge.export.read import read_openai_jsonl
from toolforge.export.records import ExportRecord, load_records

STORE_FILE = DEFAULT_PATH.name  # toolforge.db


@dataclass
class ViewData:
    source: str
    rows: list[dict[str, Any]]
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RowFilter:
    """The viewer's filters; None or empty means "any". `status`: accepted, rejected or unjudged."""

    domain: str | None = None
    difficulty: str | None = None
    status: str | None = None
    failing_check: str | None = None
    reason: str | None = None  # a case-insensitive substring of a failing check's reason
    min_score: float | None = None
    max_score: float | None = None
    tool: str | None = None  # a tool the agent called

    def matches(self, row: dict[str, Any]) -> bool:
        if self.domain and row["domain"] != self.domain:
            return False
        if self.difficulty and row["difficulty"] != self.difficulty:
            return False
        if self.status and row["status"] != self.status:
            return False
        failing = [c for c in row["checks"] if not c["passed"]]
        if self.failing_check and not any(c["check"] == self.failing_check for c in failing):
            return False
        if self.reason and not any(self.reason.lower() in c["reason"].lower() for c in failing):
            return False
        if self.min_score is not None and row["score"] < self.min_score:
            return False
        if self.max_score is not None and row["score"] > self.max_score:
            return False
        return not (self.tool and self.tool not in row["tools_used"])


def _message(message: dict[str, Any]) -> dict[str, Any]:
    """A message as the page shows it: role, text, calls with their arguments, the error flag."""
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function", {})
        calls.append(
            {
                "id": call.get("id", ""),
                "name": function.get("name", ""),
                "arguments": function.get("arguments", ""),
            }
        )
    out: dict[str, Any] = {"role": message["role"], "content": message.get("content") or ""}
    if calls:
        out["tool_calls"] = calls
    if message.get("tool_call_id"):
        out["tool_call_id"] = message["tool_call_id"]
    if message.get("is_error"):
        out["is_error"] = True
    return out


def _tool_names(tools: list[dict[str, Any]]) -> list[str]:
    return sorted({t.get("function", t).get("name", "") for t in tools} - {""})


def row_of_record(record: ExportRecord) -> dict[str, Any]:
    traj, verdict = record.trajectory, record.verdict
    messages = [_message(m.model_dump(exclude_none=True)) for m in traj.messages]
    used = sorted({c["name"] for m in messages for c in m.get("tool_calls", [])})
    checks = [
        {"check": c.check, "passed": c.passed, "score": c.score, "reason": c.reason}
        for c in (verdict.checks if verdict is not None else [])
    ]
    status = "unjudged" if verdict is None else ("accepted" if verdict.accepted else "rejected")
    return {
        "id": traj.id,
        "task_id": traj.task_id,
        "attempt": traj.attempt,
        "domain": record.domain,
        "difficulty": record.task.difficulty if record.task is not None else "",
        "status": status,
        "score": round(record.score, 4),
        "end_reason": traj.end_reason,
        "error": traj.error or (verdict.error if verdict is not None else None) or "",
        "checks": checks,
        "tools_offered": _tool_names(traj.tools),
        "tools_used": used,
        "turns": sum(1 for m in messages if m["role"] == "user"),
        "tool_calls": sum(len(m.get("tool_calls", [])) for m in messages),
        "messages": messages,
    }


def task_info(task: Task) -> dict[str, Any]:
    return {
        "goal": task.user_goal.description,
        "known_facts": task.user_goal.known_facts,
        "difficulty": task.difficulty,
        "domain": task.domain,
        "rubric": task.rubric.model_dump(mode="json"),
        "blueprint": task.blueprint.model_dump(mode="json") if task.blueprint is not None else None,
    }


def view_data_of_records(records: list[ExportRecord], source: str) -> ViewData:
    tasks = {r.task.id: task_info(r.task) for r in records if r.task is not None}
    return ViewData(source=source, rows=[row_of_record(r) for r in records], tasks=tasks)


def _dataset_row(line: dict[str, Any]) -> dict[str, Any]:
    """A row from an exported line: the metadata carries the verdict without reasons, no task."""
    meta = line.get("metadata", {})
    judge = meta.get("judge", {})
    messages = [_message(m) for m in line["messages"]]
    checks = [
        {"check": name, "passed": bool(c.get("passed")), "score": float(c.get("score", 0.0)), "reason": ""}
        for name, c in judge.get("checks", {}).items()
    ]
    return {
        "id": line["id"],
        "task_id": meta.get("task_id", ""),
        "attempt": meta.get("attempt", 0),
        "domain": meta.get("domain", ""),
        "difficulty": meta.get("difficulty", ""),
        "status": ("accepted" if judge.get("accepted") else "rejected") if judge else "unjudged",
        "score": round(float(judge.get("score", 0.0)), 4),
        "end_reason": meta.get("end_reason", ""),
        "error": "",
        "checks": checks,
        "tools_offered": _tool_names(line.get("tools", [])),
        "tools_used": sorted({c["name"] for m in messages for c in m.get("tool_calls", [])}),
        "turns": sum(1 for m in messages if m["role"] == "user"),
        "tool_calls": sum(len(m.get("tool_calls", [])) for m in messages),
        "messages": messages,
    }


def load_view_data(
    folder: Path, *, db: str | None = None, run_key: str | None = None, judge_key: str | None = None
) -> ViewData:
    """The rows of a run folder (holding `toolforge.db`), of a dataset folder (holding
    `openai.jsonl`), or of the store at `db` when given.

    Raises ValueError naming the folder and what to pass instead when it holds neither.
    """
    store_path = next((p for p in (folder / STORE_FILE, folder / DEFAULT_PATH) if p.is_file()), None)
    if db is not None or store_path is not None:
        store = Store(db if db is not None else f"sqlite:///{store_path}")
        try:
            records = load_records(store, run_key=run_key, judge_key=judge_key)
            return view_data_of_records(records, store.display_url)
        finally:
            store.close()
    found = find_dataset(folder)
    if found is not None:
        dataset = found / DATASET_FILE
        rows = [_dataset_row(json.loads(c.model_dump_json())) for c in read_openai_jsonl(dataset)]
        return ViewData(source=str(dataset), rows=rows)
    raise ValueError(
        f"{folder} holds no store ({STORE_FILE}) and no dataset ({DATASET_FILE}): pass the folder "
        f"`toolforge generate` writes (toolforge-data/), an export folder (`toolforge export --out DIR`), "
        "or a store with --db URL"
    )
