"""Validation of a tool before it joins the library.

A tool is rejected (stored with status "rejected" and the reason, never dropped) when:
- its name is not legal for OpenAI-style function calling (``^[A-Za-z0-9_-]{1,64}$``);
- its description is empty or absurdly long (`MAX_DESCRIPTION` characters);
- its input schema fails meta-validation or its root is not ``type: object``;
- its output schema (when present) fails meta-validation.

Meta-validation follows the schema's own dialect: ``validator_for(schema,
default=Draft202012Validator)`` — 2020-12 when ``$schema`` is absent (the MCP default), draft-07
for the TypeScript servers that declare it.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from toolforge.core.ids import digest
from toolforge.core.types import ToolSpec

NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_DESCRIPTION = 8192


# Annotation keywords whose only rule is "a string": their text cannot make a schema invalid.
_TEXT_KEYWORDS = frozenset({"description", "title", "$comment"})
_MEMO_MAX = 65_536


def _shape(value: Any) -> Any:
    """`value` with string annotation texts blanked, so schemas that differ only in prose share
    one meta-validation (it costs ~5 ms; 20,000 synthetic tools have a few hundred shapes)."""
    if isinstance(value, dict):
        return {k: "" if k in _TEXT_KEYWORDS and isinstance(v, str) else _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return value


_memo: dict[str, str | None] = {}


def check_schema(schema: Any) -> str | None:
    """None if `schema` is a valid JSON Schema in its dialect, else the reason (memoised by shape)."""
    if not isinstance(schema, dict):
        return f"schema must be a JSON object, got {type(schema).__name__}"
    key = digest(_shape(schema), length=32)
    if key not in _memo:
        if len(_memo) >= _MEMO_MAX:
            _memo.clear()
        _memo[key] = _check_schema(schema)
    return _memo[key]


def _check_schema(schema: dict[str, Any]) -> str | None:
    dialect = schema.get("$schema")
    if dialect is not None and not isinstance(dialect, str):
        return "$schema must be a string URI"
    cls = validator_for(schema, default=Draft202012Validator)  # an unknown URI falls back to 2020-12
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        return f"at {where}: {exc.message}"
    return None


def problems(tool: ToolSpec, max_description: int = MAX_DESCRIPTION) -> list[str]:
    """Every reason to reject `tool`; empty when it is valid."""
    found: list[str] = []
    if not NAME_RE.match(tool.name):
        found.append(
            f"name {tool.name[:80]!r} is not a legal function name (letters, digits, _ and -, 1-64 chars)"
        )
    if not tool.description.strip():
        found.append("description is empty")
    elif len(tool.description) > max_description:
        found.append(f"description is {len(tool.description)} characters (limit {max_description})")
    if reason := check_schema(tool.input_schema):
        found.append(f"input schema invalid {reason}")
    elif tool.input_schema.get("type") != "object":
        found.append(f"input schema root must be type 'object', got {tool.input_schema.get('type')!r}")
    if tool.output_schema is not None and (reason := check_schema(tool.output_schema)):
        found.append(f"output schema invalid {reason}")
    return found


def rejection(tool: ToolSpec, max_description: int = MAX_DESCRIPTION) -> str | None:
    """The stored reason for rejecting `tool` (problems joined by '; '), or None if it is valid."""
    found = problems(tool, max_description)
    return "; ".join(found) if found else None
