"""Validation of a tool before it joins the library.

A tool is rejected (stored with status "rejected" and the reason, never dropped) when:
- its name is not legal in MCP (``^[A-Za-z0-9_.-]{1,128}$``; dots are common, as in
  ``math.factorial``; providers that allow fewer characters get a mapped name when the tool is sent,
  see `toolforge.core.llm.tool_names`);
- its description is empty or absurdly long (`MAX_DESCRIPTION` characters);
- its input schema cannot be used (`toolforge.core.schema.schema_problems`: too deep or too large,
  an unknown `$schema`, invalid in its own dialect, a remote, dangling or cyclic `$ref`) or its root
  is not ``type: object``;
- its output schema (when present) cannot be used.

What passes here can be prepared by the schema service at every later stage without an error.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from toolforge.core.ids import canonical_json
from toolforge.core.schema import schema_problems
from toolforge.core.schema.limits import size_problem
from toolforge.core.types import ToolSpec

NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
MAX_DESCRIPTION = 8192

# Annotation keywords whose only rule is "a string": their text cannot make a schema invalid.
_TEXT_KEYWORDS = frozenset({"description", "title", "$comment"})


def _shape(value: Any) -> Any:
    """`value` with string annotation texts blanked, so schemas that differ only in prose share one
    check (20,000 synthetic tools have a few hundred shapes)."""
    if isinstance(value, dict):
        return {k: "" if k in _TEXT_KEYWORDS and isinstance(v, str) else _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return value


def check_schema(schema: Any) -> str | None:
    """None if `schema` can be used, else the reason (checked once per shape)."""
    if not isinstance(schema, dict):
        return f"schema must be a JSON object, got {type(schema).__name__}"
    if problem := size_problem(schema):  # first: a hostile schema must not reach `_shape`'s recursion
        return problem
    return _shape_problems(canonical_json(_shape(schema)))


@functools.lru_cache(maxsize=65_536)
def _shape_problems(shape: str) -> str | None:
    found = schema_problems(json.loads(shape))
    return "; ".join(found) if found else None


def problems(tool: ToolSpec, max_description: int = MAX_DESCRIPTION) -> list[str]:
    """Every reason to reject `tool`; empty when it is valid."""
    found: list[str] = []
    if not NAME_RE.match(tool.name):
        found.append(
            f"name {tool.name[:80]!r} is not a legal function name "
            "(letters, digits, _ . and -, 1-128 chars, as MCP allows)"
        )
    if not tool.description.strip():
        found.append("description is empty")
    elif len(tool.description) > max_description:
        found.append(f"description is {len(tool.description)} characters (limit {max_description})")
    if reason := check_schema(tool.input_schema):
        found.append(f"input schema invalid {_at(reason)}")
    elif tool.input_schema.get("type") != "object":
        found.append(f"input schema root must be type 'object', got {tool.input_schema.get('type')!r}")
    if tool.output_schema is not None and (reason := check_schema(tool.output_schema)):
        found.append(f"output schema invalid {_at(reason)}")
    return found


def _at(reason: str) -> str:
    return reason if reason.startswith("at ") else f": {reason}"


def rejection(tool: ToolSpec, max_description: int = MAX_DESCRIPTION) -> str | None:
    """The stored reason for rejecting `tool` (problems joined by '; '), or None if it is valid."""
    found = problems(tool, max_description)
    return "; ".join(found) if found else None
