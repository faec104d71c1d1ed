"""Where a schema keeps its subschemas, for every supported dialect.

Only these places hold schemas: a `"$ref"` inside `enum`, `const`, `default` or `examples` is data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

# One subschema as the value.
SINGLE = frozenset(
    {"additionalItems", "additionalProperties", "contains", "contentSchema", "else", "if", "items",
     "not", "propertyNames", "then", "unevaluatedItems", "unevaluatedProperties"}
)  # fmt: skip
# A list of subschemas as the value (`items` as a list is draft-04..2019-09 tuple form).
LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
# A map of name -> subschema as the value (`dependencies` values may also be lists of names).
MAPS = frozenset(
    {"$defs", "definitions", "dependentSchemas", "dependencies", "patternProperties", "properties"}
)
# Keywords that apply their subschemas to the same value, not to a part of it: a reference cycle
# through only these never reaches a smaller value, so validation would not end.
IN_PLACE = frozenset(
    {"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "dependencies"}
)


def subschemas(node: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(pointer suffix, subschema) for each subschema directly inside `node`."""
    for key, value in node.items():
        token = escape(key)
        if key in SINGLE and isinstance(value, dict | bool):
            yield token, value
        elif key in LISTS and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict | bool):
                    yield f"{token}/{index}", item
        elif key in MAPS and isinstance(value, dict):
            for name, item in value.items():
                if isinstance(item, dict | bool):
                    yield f"{token}/{escape(name)}", item


def map_subschemas(node: dict[str, Any], fn: Callable[[Any], Any], keep: frozenset[str]) -> dict[str, Any]:
    """A copy of `node` with `fn` applied to each object subschema directly inside it; the keys in
    `keep` and every other keyword are copied as they are, in their order."""
    out = dict(node)
    for key, value in node.items():
        if key in keep:
            continue
        if key in SINGLE and isinstance(value, dict):
            out[key] = fn(value)
        elif key in LISTS and isinstance(value, list):
            out[key] = [fn(v) for v in value]
        elif key in MAPS and isinstance(value, dict):
            out[key] = {n: fn(v) for n, v in value.items()}
    return out


def escape(token: str) -> str:
    """A JSON-pointer token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")
