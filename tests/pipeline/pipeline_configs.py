"""Small pipeline configs for the tests: the example shop toolkit, blueprint episodes, no model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
SHOP = f"{REPO / 'examples' / 'domains' / 'shop' / 'toolkit.py'}:ShopToolkit"


def small(workspace: Path, **overrides: Any) -> dict[str, Any]:
    """Multi-call attempts blow a tiny token budget, so they are rejected and sampled again."""
    data: dict[str, Any] = {
        "name": "small",
        "workspace": str(workspace),
        "tools": {"toolkits": [SHOP]},
        "agents": {"count": 3, "min_tools": 3, "max_tools": 5},
        "tasks": {"difficulties": ["single_call", "multi_call", "recovery"], "per_difficulty": 2},
        "rollouts": {"policy": "blueprint", "user": "template", "simulator": "schema"},
        "sampling": {"attempts": 3, "stop_after_accepted": 1},
        "judges": {"rubric": {"enabled": False}, "rules": {"token_budget": {"multi_call": 20}}},
    }
    for key, value in overrides.items():
        data[key] = value
    return data


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
