"""The dialect comes from `$schema` (2020-12 without one) and decides what a schema means."""

from __future__ import annotations

import pytest

from toolforge.core.schema import prepare, schema_problems

TUPLE = {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}
DIALECTS = {
    "draft-04": "http://json-schema.org/draft-04/schema#",
    "draft-06": "http://json-schema.org/draft-06/schema#",
    "draft-07": "http://json-schema.org/draft-07/schema#",
    "2019-09": "https://json-schema.org/draft/2019-09/schema",
}


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_tuple_items_are_positional_in_the_older_dialects(name: str) -> None:
    schema = prepare({"$schema": DIALECTS[name], **TUPLE})
    assert schema.dialect.rstrip("#") == DIALECTS[name].rstrip("#")
    assert schema.is_valid(["a", 1]) and not schema.is_valid([1, "a"])


def test_2020_12_is_the_default_and_refuses_the_tuple_form() -> None:
    assert prepare({"type": "string"}).dialect == "https://json-schema.org/draft/2020-12/schema"
    assert schema_problems(TUPLE) == [
        "at items: [{'type': 'string'}, {'type': 'integer'}] is not of type 'object', 'boolean'"
    ]
    pairs = prepare({"type": "array", "prefixItems": [{"type": "string"}], "items": False})
    assert pairs.is_valid(["a"]) and not pairs.is_valid(["a", 1])


def test_exclusive_minimum_reads_as_its_dialect_says() -> None:
    draft4 = prepare({"$schema": DIALECTS["draft-04"], "minimum": 5, "exclusiveMinimum": True})
    assert not draft4.is_valid(5) and draft4.is_valid(6)
    modern = prepare({"minimum": 5, "exclusiveMinimum": 5})
    assert not modern.is_valid(5) and modern.is_valid(6)
    assert schema_problems({"minimum": 5, "exclusiveMinimum": True})  # a boolean is draft-04 only


def test_https_spelling_and_unknown_dialects() -> None:
    assert prepare({"$schema": "https://json-schema.org/draft-07/schema", **TUPLE}).is_valid(["a", 1])
    problem = schema_problems({"$schema": "https://example.com/mine", "type": "object"})
    assert len(problem) == 1 and "names no supported dialect" in problem[0] and "2020-12" in problem[0]
    assert (
        "names no supported dialect"
        in schema_problems({"$schema": "http://json-schema.org/draft-03/schema#"})[0]
    )


def test_a_part_of_a_resolved_schema_keeps_its_dialect() -> None:
    whole = prepare({"$schema": DIALECTS["draft-07"], "type": "object", "properties": {"pair": TUPLE}})
    part = prepare(whole.resolved["properties"]["pair"])
    assert part.dialect == whole.dialect and part.is_valid(["a", 1]) and not part.is_valid([1, 1])
