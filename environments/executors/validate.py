"""Argument validation before execution: the call's arguments against the tool's input schema."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from environments.executors.schema_check import compiled
from toolforge.core.types import ToolSpec

# Compiled validators by schema object; the schema is kept so its id cannot be reused.
_VALIDATORS: dict[int, tuple[dict[str, Any], Validator]] = {}


def validator(tool: ToolSpec) -> Validator:
    schema = tool.input_schema
    found = _VALIDATORS.get(id(schema))
    if found is None or found[0] is not schema:
        cls = validator_for(schema, default=Draft202012Validator)
        found = _VALIDATORS[id(schema)] = (schema, cls(schema))
    return found[1]


def validate_arguments(tool: ToolSpec, arguments: dict[str, Any]) -> list[str]:
    """Every schema violation as a readable line (empty when the arguments are valid)."""
    check = compiled(tool.input_schema)
    if check is not None and check(arguments):
        return []  # the common case, without jsonschema's walk
    errors = []
    for err in validator(tool).iter_errors(arguments):
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        errors.append(f"{where}: {err.message}")
    return sorted(errors)
