"""Validation: meta-validation in the schema's own dialect, object roots, legal names."""

from __future__ import annotations

from typing import Any

from toolforge.core.types import ToolSpec
from toolforge.tools.validate import check_schema, problems, rejection


def spec(
    name: str = "ok_tool", description: str = "Does a thing.", schema: Any = None, output: Any = None
) -> ToolSpec:
    return ToolSpec(
        name=name,
        description=description,
        input_schema=schema if schema is not None else {"type": "object", "properties": {}},
        output_schema=output,
        source="catalog",
    )


def test_valid_tools_pass_in_2020_12_and_draft_07() -> None:
    assert rejection(spec()) is None
    draft7 = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "definitions": {"a": {"type": "string"}},
    }
    assert rejection(spec(schema=draft7)) is None
    prefix = {"type": "object", "properties": {"p": {"type": "array", "prefixItems": [{"type": "string"}]}}}
    assert rejection(spec(schema=prefix)) is None  # a 2020-12 keyword


def test_dialect_decides_the_metaschema() -> None:
    # `items: [..]` (tuple form) is valid draft-07 but not 2020-12
    tuple_items = {"type": "object", "properties": {"p": {"type": "array", "items": [{"type": "string"}]}}}
    assert check_schema(tuple_items) is not None
    assert check_schema({"$schema": "http://json-schema.org/draft-07/schema#", **tuple_items}) is None


def test_each_problem_is_named() -> None:
    assert "not a legal function name" in problems(spec(name="has space"))[0]
    assert "not a legal function name" in problems(spec(name="x" * 129))[0]
    assert problems(spec(description="  ")) == ["description is empty"]
    assert "limit 8192" in problems(spec(description="a" * 9000))[0]
    assert "root must be type 'object'" in problems(spec(schema={"type": "array"}))[0]
    assert (
        "input schema invalid at properties/x/type"
        in problems(spec(schema={"type": "object", "properties": {"x": {"type": "strin"}}}))[0]
    )
    assert "output schema invalid" in problems(spec(output={"type": 5}))[0]
    assert len(problems(spec(name="bad name", description=""))) == 2
