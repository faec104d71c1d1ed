"""Run identity: a fingerprint of the config, a key per stage, and what changed since last time.

A stage's key covers its own section and the keys of the stages it reads from, so changing the
judge threshold re-judges (and re-selects, re-exports) but rolls nothing out again, while
changing the agents re-does everything after them. Settings that change only how fast a run
goes (concurrency, timeouts, retries) are left out: they never invalidate work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolforge.core.ids import digest
from toolforge.pipeline.config import PipelineConfig

STAGES = ("tools", "agents", "tasks", "rollouts", "judges", "selection", "export")

# Keys that change only speed (or where the work runs); dropped (at any depth) before hashing.
SPEED_KEYS = {
    "concurrency",
    "timeout_s",
    "max_retries",
    "max_in_flight",
    "workers",
    "mcp_sessions_per_server",
    "ray",
    "transport",
}


def semantic(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: semantic(v) for k, v in value.items() if k not in SPEED_KEYS}
    if isinstance(value, list):
        return [semantic(v) for v in value]
    return value


def config_dict(cfg: PipelineConfig) -> dict[str, Any]:
    return cfg.model_dump(mode="json")


def _file_digest(cfg: PipelineConfig, value: str | None) -> str | None:
    if value is None:
        return None
    path: Path = cfg.input_path(value)
    return digest(path.read_text(encoding="utf-8")) if path.exists() else None


def stage_keys(cfg: PipelineConfig) -> dict[str, str]:
    data = semantic(config_dict(cfg))
    models = data["models"]
    tools = digest(
        {
            "tools": data["tools"],
            "servers_file": _file_digest(cfg, cfg.tools.servers),
            "catalogs": [_file_digest(cfg, c) for c in cfg.tools.catalogs],
        }
    )
    agents = digest([tools, data["agents"], models.get("synthesizer")])
    tasks = digest([agents, data["tasks"], models.get("task_writer")])
    rollouts = digest(
        [
            tasks,
            data["rollouts"],
            data["code_tasks"],
            {r: models.get(r) for r in ("agent", "user", "tool_simulator")},
        ]
    )
    judges = digest([rollouts, data["judges"], models.get("judge") if cfg.judges.rubric.enabled else None])
    selection = digest([judges, data["sampling"]])
    export = digest([selection, data["export"]])
    return {
        "tools": tools,
        "agents": agents,
        "tasks": tasks,
        "rollouts": rollouts,
        "judges": judges,
        "selection": selection,
        "export": export,
    }


def fingerprint(cfg: PipelineConfig) -> str:
    return stage_keys(cfg)["export"]


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def changed_keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """`path: old → new` for every leaf that differs (speed-only keys included, marked)."""
    a, b = flatten(old), flatten(new)
    out = []
    for key in sorted(a.keys() | b.keys()):
        if a.get(key, "<unset>") != b.get(key, "<unset>"):
            note = " (speed only)" if key.split(".")[-1] in SPEED_KEYS else ""
            out.append(f"{key}: {_show(a.get(key, '<unset>'))} → {_show(b.get(key, '<unset>'))}{note}")
    return out


def changed_stages(old_keys: dict[str, str], new_keys: dict[str, str]) -> list[str]:
    return [s for s in STAGES if old_keys.get(s) != new_keys.get(s)]


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
