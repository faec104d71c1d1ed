"""A tool keeps its prepared schemas, and drops them when it is copied or pickled."""

from __future__ import annotations

import copy
import pickle

from toolforge.core.types import ToolSpec

SCHEMA = {
    "type": "object",
    "properties": {"item": {"$ref": "#/$defs/Item"}},
    "required": ["item"],
    "$defs": {"Item": {"type": "object", "properties": {"sku": {"type": "string"}}}},
}


def _tool() -> ToolSpec:
    return ToolSpec(name="add_item", input_schema=SCHEMA, output_schema=SCHEMA, source="mcp")


def test_the_prepared_input_schema_is_built_once_and_validates_in_place():
    tool = _tool()
    assert tool.input_prepared is tool.input_prepared
    assert tool.input_prepared.is_valid({"item": {"sku": "A-1"}})
    assert tool.input_prepared.errors({"item": {"sku": 3}}) == ["item/sku: 3 is not of type 'string'"]
    assert tool.input_resolved["properties"]["item"]["properties"] == {"sku": {"type": "string"}}


def test_a_pickled_or_copied_tool_rebuilds_its_prepared_schemas():
    tool = _tool()
    assert tool.output_prepared is not None and tool.input_resolved
    back = pickle.loads(pickle.dumps(tool))  # a validator holds closures: it must not travel
    assert back == tool and "input_prepared" not in back.__dict__
    assert back.input_prepared.is_valid({"item": {"sku": "B"}})
    changed = tool.model_copy(update={"input_schema": {"type": "object", "required": ["x"]}})
    assert not changed.input_prepared.is_valid({"item": {"sku": "B"}})
    assert "input_prepared" not in copy.copy(tool).__dict__


def test_a_tool_without_an_output_schema_has_no_prepared_output():
    tool = ToolSpec(name="ping", input_schema={"type": "object"}, source="mcp")
    assert tool.output_prepared is None and tool.output_resolved is None
