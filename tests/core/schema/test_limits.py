"""Depth and size are bounded without recursion: a hostile value cannot overflow the stack."""

from __future__ import annotations

from typing import Any

from toolforge.core.schema import MAX_SCHEMA_DEPTH, MAX_SCHEMA_NODES, schema_problems, too_deep


def nested(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def test_deep_and_large_schemas_are_refused_with_the_limit() -> None:
    assert schema_problems(nested(20)) == []
    assert schema_problems(nested(400)) == [
        f"nests deeper than {MAX_SCHEMA_DEPTH} levels (limit {MAX_SCHEMA_DEPTH}); flatten it"
    ]
    assert "nests deeper" in schema_problems(nested(5_000))[0]  # far past Python's recursion limit
    wide = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(MAX_SCHEMA_NODES)}}
    assert f"more than {MAX_SCHEMA_NODES} values" in schema_problems(wide)[0]


def test_too_deep_counts_objects_and_arrays() -> None:
    value: Any = 1
    for _ in range(10):
        value = [value]
    assert not too_deep(value, 10) and too_deep(value, 9) and not too_deep({"a": 1}, 1)
