"""The order `toolforge --help` lists commands in: the pipeline's, then the utilities by name."""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

PIPELINE_ORDER = ("tools", "agents", "tasks", "rollout", "judge", "export", "view", "train", "eval")


class PipelineOrderGroup(TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:  # a click Context: typer's own click, or click
        names = super().list_commands(ctx)
        steps = [name for name in PIPELINE_ORDER if name in names]
        return steps + sorted(name for name in names if name not in PIPELINE_ORDER)
