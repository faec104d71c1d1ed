"""References resolved with `referencing`: remote, dangling and cyclic ones refused with the pointer."""

from __future__ import annotations

from typing import Any

from toolforge.core.schema import prepare, schema_problems


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


def test_local_references_resolve_and_validate() -> None:
    schema = {**obj(a={"$ref": "#/$defs/name"}, b={"$ref": "#named"}),
              "$defs": {"name": {"type": "string", "minLength": 2}, "n": {"$anchor": "named", "type": "integer"}}}  # fmt: skip
    assert schema_problems(schema) == []
    prepared = prepare(schema)
    assert prepared.is_valid({"a": "ok", "b": 1}) and prepared.errors({"a": "x", "b": "y"}) == [
        "a: 'x' is too short",
        "b: 'y' is not of type 'integer'",
    ]
    assert prepared.resolved["properties"] == {
        "a": {"type": "string", "minLength": 2},
        "b": {"$anchor": "named", "type": "integer"},
    }


def test_embedded_resources_resolve_against_their_own_id() -> None:
    schema = {
        **obj(a={"$ref": "inner.json#/$defs/x"}),
        "$defs": {"e": {"$id": "inner.json", "$defs": {"x": {"type": "integer"}}}},
    }
    assert schema_problems(schema) == [] and not prepare(schema).is_valid({"a": "no"})


def test_remote_dangling_and_cyclic_references_are_named() -> None:
    remote = schema_problems(obj(a={"$ref": "https://example.com/s.json#/x"}))
    assert remote == [
        "$ref 'https://example.com/s.json#/x' at #/properties/a is remote (another document, never fetched); inline its definition under $defs"
    ]
    assert "at #/properties/b points to nothing" in schema_problems(obj(b={"$ref": "#/$defs/gone"}))[0]
    assert "'#nowhere' at #/properties/b points to nothing" in schema_problems(obj(b={"$ref": "#nowhere"}))[0]
    assert "$ref cycle # -> #" in schema_problems({"$ref": "#"})[0]
    two = {
        **obj(a={"$ref": "#/$defs/a"}),
        "$defs": {"a": {"anyOf": [{"$ref": "#/$defs/b"}]}, "b": {"not": {"$ref": "#/$defs/a"}}},
    }
    assert (
        "$ref cycle #/$defs/a -> #/$defs/a/anyOf/0 -> #/$defs/b -> #/$defs/b/not -> #/$defs/a"
        in schema_problems(two)[0]
    )
    endless = {**obj(next={"$ref": "#"}), "required": ["next"]}
    assert "required recursion # -> #/properties/next -> #" in schema_problems(endless)[0]


def test_recursion_under_an_optional_property_or_items_is_fine_and_unrolled_a_bounded_number_of_times() -> (
    None
):
    tree = obj(name={"type": "string"}, children={"type": "array", "items": {"$ref": "#"}})
    linked = {**obj(next={"anyOf": [{"type": "null"}, {"$ref": "#"}]}), "required": ["next"]}
    assert schema_problems(tree) == [] and schema_problems(linked) == []
    value: dict[str, Any] = {"name": "leaf", "children": []}
    for _ in range(30):  # deeper than the unrolled form: validation still follows the reference
        value = {"name": "n", "children": [value]}
    assert prepare(tree).is_valid(value)
    value["children"][0]["name"] = 3
    assert not prepare(tree).is_valid(value)
    depth, node = 0, prepare(tree).resolved
    while node:
        node, depth = node["properties"]["children"]["items"], depth + 1
    assert 5 <= depth <= 10


def test_a_ref_inside_data_is_data() -> None:
    schema = obj(a={"const": {"$ref": "#/nowhere"}}, b={"enum": [{"$ref": "x.json"}]})
    assert schema_problems(schema) == [] and prepare(schema).is_valid({"a": {"$ref": "#/nowhere"}})
