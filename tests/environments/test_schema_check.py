"""The compiled schema checks answer exactly as jsonschema's Draft 2020-12 `is_valid` does."""

from __future__ import annotations

import copy
import math
import random
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from environments.executors.schema_check import compiled
from environments.executors.schemas import inline_refs
from environments.toolkit import Toolkit
from toolforge.core.jsonschema_tools import instance_for
from toolforge.core.types import ToolSpec

TRICKY: list[dict[str, Any]] = [
    {"type": "integer"},
    {"type": "number", "minimum": 0, "exclusiveMaximum": 10},
    {"type": ["string", "null"], "minLength": 2, "maxLength": 3},
    {"enum": ["a", "b"]},
    {"enum": [1, "1", True, None]},  # non-string enum: jsonschema's equality, through jsonschema
    {"const": "x"},
    {"const": 1},
    {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2},
    {"type": "array", "items": False},
    {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}},
    {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "string"}}},
    {"type": "object", "additionalProperties": {"type": "integer"}, "properties": {"a": True}},
    {"type": "object", "patternProperties": {"^x": {"type": "string"}}, "additionalProperties": False},
    {"properties": {"a": False}, "required": ["b"]},
    {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "optional", "default": None},
    {"oneOf": [{"type": "integer"}, {"type": "number"}]},
    {"allOf": [{"minimum": 1}, {"maximum": 3}]},
    {"not": {"type": "string"}},
    {"type": "string", "format": "email"},
    {"type": "string", "pattern": "^a+$"},
    {"type": "object", "minProperties": 1, "unevaluatedProperties": False, "properties": {"a": {}}},
    {"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"type": "integer"}},
    {"type": "number", "multipleOf": 0.5},
    {"type": "array", "uniqueItems": True},
    {"x-vendor": {"type": "string"}, "nullable": True},  # unknown keywords: ignored by both
    True,
    False,
]

VALUES: list[Any] = [
    None, True, False, 0, 1, 1.0, 1.5, -3, 10, 2, math.nan, math.inf, "", "a", "ab", "abcd", "1", "x",
    [], [1], [1, 2], [1, 2, 3], ["s", 1], [1, 1], {}, {"a": "s"}, {"a": 1}, {"b": 1}, {"a": "s", "b": 2},
    {"x1": "s"}, {"x1": 1}, {"a": None},
]  # fmt: skip


def _outcome(check: Any, value: Any) -> Any:
    try:
        return check(value)
    except Exception as exc:  # jsonschema raises on some values (NaN under multipleOf): so must we
        return type(exc)


def _agree(schema: Any, value: Any) -> None:
    check = compiled(schema)
    assert check is not None
    expected = _outcome(Draft202012Validator(schema).is_valid, value)
    assert _outcome(check, value) == expected, (schema, value)


@pytest.mark.parametrize("schema", TRICKY, ids=range(len(TRICKY)))
def test_tricky_schemas_agree_with_jsonschema(schema: Any) -> None:
    for value in VALUES:
        _agree(schema, value)


def _mutations(value: Any, rng: random.Random) -> list[Any]:
    """The value, and copies with one field dropped, retyped, or added."""
    out = [value]
    if isinstance(value, dict):
        for key in value:
            dropped = {k: v for k, v in value.items() if k != key}
            out.append(dropped)
            for replacement in (None, 1, 1.0, True, "s", [], {}, [1, "x"]):
                out.append({**value, key: replacement})
            for sub in _mutations(value[key], rng)[1:3]:
                out.append({**value, key: sub})
        out.append({**value, "unexpected": 1})
    elif isinstance(value, list) and value:
        out += [value[:-1], [*value, value[0]], [*value, 1], [*value, "s"]]
        out += [[m, *value[1:]] for m in _mutations(value[0], rng)[1:4]]
    return out


def test_tool_schemas_agree_on_generated_and_broken_values(
    tickets: list[ToolSpec], shop: type[Toolkit]
) -> None:
    tools = tickets + shop.specs()
    schemas: list[Any] = []
    for tool in tools:
        schemas.append(tool.input_schema)
        if tool.output_schema is not None:
            schemas.append(inline_refs(tool.output_schema))
    rng = random.Random(7)
    checked = 0
    for schema in schemas:
        if compiled(schema) is None:
            continue
        for i in range(12):
            value = instance_for(schema, random.Random(i), optional_p=0.5)
            for variant in _mutations(copy.deepcopy(value), rng):
                _agree(schema, variant)
                checked += 1
    assert checked > 1000


def test_documents_with_references_are_not_compiled() -> None:
    assert compiled({"$ref": "#/$defs/a", "$defs": {"a": {"type": "string"}}}) is None
    assert compiled({"type": "object", "properties": {"a": {"$ref": "#"}}}) is None
    assert compiled({"$schema": "http://json-schema.org/draft-07/schema#", "type": "string"}) is None
    assert compiled([{"type": "string"}]) is None
    assert compiled({"type": "object", "properties": {"definitions": {"$ref": "#/x"}}}) is None
    assert compiled({"not": {"if": {"$ref": "#/$defs/a"}}, "$defs": {"a": {}}}) is None


def test_unreferenced_definitions_do_not_count() -> None:
    """`inline_refs` leaves `$defs` in place; with every reference inlined they are never read."""
    schema = {
        "$defs": {"Line": {"properties": {"p": {"$ref": "#/$defs/P"}}}, "P": {"type": "string"}},
        "type": "object",
        "properties": {"lines": {"type": "array", "items": {"properties": {"p": {"type": "string"}}}}},
    }
    for value in ({"lines": [{"p": "x"}]}, {"lines": [{"p": 1}]}, {"lines": 3}, []):
        _agree(schema, value)


def test_a_check_is_built_once_per_schema_object() -> None:
    schema = {"type": "string", "minLength": 1}
    assert compiled(schema) is compiled(schema)
    assert compiled(dict(schema)) is not compiled(schema)
