"""Parts of a prepared schema's resolved form are resolved and prepared once, in their dialect."""

from __future__ import annotations

from toolforge.core.schema import prepare, resolved

DRAFT7 = "http://json-schema.org/draft-07/schema#"


def _order_schema(dialect: str | None = None) -> dict:
    schema = {
        "type": "object",
        "properties": {"lines": {"type": "array", "items": {"$ref": "#/definitions/line"}}},
        "definitions": {"line": {"type": "object", "properties": {"qty": {"type": "integer"}}}},
    }
    return {"$schema": dialect, **schema} if dialect else schema


def test_a_part_of_the_resolved_form_is_its_own_resolved_form_and_keeps_its_prepared_validator():
    whole = resolved(_order_schema())
    line = whole["properties"]["lines"]["items"]
    assert line == {"type": "object", "properties": {"qty": {"type": "integer"}}}
    assert resolved(line) is line
    assert prepare(line) is prepare(line)
    assert prepare(line).is_valid({"qty": 2})
    assert not prepare(line).is_valid({"qty": "two"})


def test_a_part_is_validated_in_the_dialect_of_the_whole():
    # draft-07 ignores `prefixItems`; 2020-12 applies it. A part taken out of a draft-07 schema
    # must keep draft-07's reading.
    schema = {
        "$schema": DRAFT7,
        "type": "object",
        "properties": {"pair": {"prefixItems": [{"type": "string"}]}},
    }
    pair = resolved(schema)["properties"]["pair"]
    assert prepare(pair).is_valid([1])
    latest = resolved({"type": "object", "properties": {"pair": {"prefixItems": [{"type": "string"}]}}})
    assert not prepare(latest["properties"]["pair"]).is_valid([1])


def test_data_inside_a_resolved_form_stays_plain_data():
    schema = {"type": "object", "properties": {"mode": {"const": {"kind": "fast"}, "default": {"a": 1}}}}
    mode = resolved(schema)["properties"]["mode"]
    assert type(mode["const"]) is dict and type(mode["default"]) is dict
