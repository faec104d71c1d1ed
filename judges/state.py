"""The state check: the world the attempt left behind against the world the blueprint makes.

The reference end state comes from replaying the task's blueprint on a fresh, deterministic
schema simulator (`replay`: `environments.tasking.blueprints.replay_blueprint`); without a replay function
the blueprint's stored `expected_end_state` is the reference. Both are compared as
`environments.episodes.state.entity_view` sees them (bookkeeping left out), by hash (the whole state) or
as assertions (every value of the reference present and equal). An episode whose tools ran on a
world model, or on a real MCP server whose world was not read back, cannot be compared: it is
`unchecked`, which is never a pass.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from environments.episodes.state import entity_view
from judges.config import StateConfig
from toolforge.core.ids import digest
from toolforge.core.types import CheckResult, Task, Trajectory

Replay = Callable[[Task], Awaitable[dict[str, Any]]]
MAX_DIFFS = 8
# Executors whose effects live in the episode's state. A real MCP server's world is comparable when
# the episode ran it on its own seeded copy and read its end state back (`final_state["_mcp"]`);
# a world model's draws are its own, so its end state cannot be compared with a replay.
COMPARABLE_EXECUTORS = {"schema", "python", "mcp"}


def unchecked(reason: str) -> CheckResult:
    """An end state that cannot be compared: never a pass (a required state check rejects it)."""
    return CheckResult(
        check="state",
        passed=False,
        score=0.0,
        reason=f"unchecked: {reason}",
        details={"applicable": False, "unchecked": True},
    )


def check_state(
    traj: Trajectory, task: Task, cfg: StateConfig, reference: dict[str, Any] | None = None
) -> CheckResult:
    """Compare the attempt's end state with `reference` (the blueprint replayed on a fresh copy
    of the same world; the blueprint's stored end state when None). A task without a blueprint
    gets a passing, not-applicable result; an end state that cannot be compared is unchecked."""
    if task.blueprint is None:
        return CheckResult(
            check="state", passed=True, score=1.0, reason="no blueprint", details={"applicable": False}
        )
    executors = set(traj.metadata.get("executors", {}).values())
    if executors - COMPARABLE_EXECUTORS:
        kinds = ", ".join(sorted(executors - COMPARABLE_EXECUTORS))
        return unchecked(f"tools ran on {kinds}, whose end state cannot be replayed")
    if "mcp" in executors and not traj.final_state.get("_mcp"):
        return unchecked("tools ran on an MCP server whose world was not read back (no world.stateEnv)")
    if reference is None:
        reference = task.blueprint.expected_end_state
    expected = _drop_keys(entity_view(reference), set(cfg.ignore_keys))
    actual = _drop_keys(entity_view(traj.final_state), set(cfg.ignore_keys))
    if cfg.mode == "hash":
        diffs = _diff(expected, actual, "", symmetric=True)
    else:
        diffs = _diff(expected, actual, "", symmetric=False)
    details = {
        "applicable": True,
        "mode": cfg.mode,
        "expected_hash": digest(expected),
        "actual_hash": digest(actual),
        "diffs": diffs[:MAX_DIFFS],
        "num_diffs": len(diffs),
    }
    if not diffs:
        return CheckResult(check="state", passed=True, score=1.0, reason="end state matches", details=details)
    shown = "; ".join(diffs[:3]) + (f"; and {len(diffs) - 3} more" if len(diffs) > 3 else "")
    return CheckResult(
        check="state", passed=False, score=0.0, reason=f"end state differs: {shown}", details=details
    )


def _drop_keys(value: Any, keys: set[str]) -> Any:
    if not keys:
        return value
    if isinstance(value, dict):
        return {k: _drop_keys(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_drop_keys(v, keys) for v in value]
    return value


def _diff(expected: Any, actual: Any, path: str, *, symmetric: bool) -> list[str]:
    """Paths where `actual` departs from `expected` (and, if symmetric, extra keys in `actual`)."""
    where = path or "/"
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in sorted(expected, key=str):
            sub = f"{path}/{key}"
            if key not in actual:
                out.append(f"{sub} missing")
            else:
                out += _diff(expected[key], actual[key], sub, symmetric=symmetric)
        if symmetric:
            out += [f"{path}/{key} unexpected" for key in sorted(actual, key=str) if key not in expected]
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out += _diff(e, a, f"{path}/{i}", symmetric=symmetric)
        return out
    if digest(expected) != digest(actual):
        return [f"{where}: expected {_short(expected)}, got {_short(actual)}"]
    return []


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
