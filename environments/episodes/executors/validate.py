"""Argument validation before execution: the call's arguments against the tool's input schema,
with the validator the schema service prepared for it (the dialect its `$schema` names)."""

from __future__ import annotations

from typing import Any

from toolforge.core.schema import SchemaRejected
from toolforge.core.types import ToolSpec


def validate_arguments(tool: ToolSpec, arguments: dict[str, Any]) -> list[str]:
    """Every schema violation as a readable line (empty when the arguments are valid)."""
    try:
        return tool.input_prepared.errors(arguments)
    except SchemaRejected as exc:  # only a tool that skipped import gets here
        return [f"(schema): the input schema of {tool.name} cannot be used: {exc}"]
