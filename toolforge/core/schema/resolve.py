"""The resolved form of a schema: every reference replaced by what it points to.

Generators and walkers (value generation, output fitting, the tool graph) read the resolved form
and never meet a `$ref`. A recursive schema is unrolled `MAX_UNROLL` times and then cut to `{}`
(any value); `$defs` stay in place, unread. Lookups go through the same `referencing` registry the
validator uses, so both agree on what a reference means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import referencing.jsonschema
from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from toolforge.core.schema.dialect import dialect_uri
from toolforge.core.schema.limits import MAX_SCHEMA_DEPTH, MAX_SCHEMA_NODES
from toolforge.core.schema.refs import REF_KEYWORDS, registry_for
from toolforge.core.schema.walk import MAPS, map_subschemas

if TYPE_CHECKING:
    from referencing._core import Resolver  # the type lookups return; not exported by name

MAX_UNROLL = 8
# Keywords whose values are data, not schemas: a "$ref" key inside them is just a key.
_DATA = frozenset({"const", "default", "enum", "examples"})
_KEPT = frozenset({"$defs", "definitions"})


def resolved_form(schema: Any, cls: type[Validator]) -> Any:
    """`schema` with its references inlined (the same object when it has none)."""
    if not isinstance(schema, dict) or not _has_ref(schema):
        return schema
    registry, uri = registry_for(schema, cls)
    inliner = _Inliner(referencing.jsonschema.specification_with(dialect_uri(cls)))
    return inliner.inline(schema, registry.resolver(base_uri=uri), 0, 0)


def _has_ref(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(isinstance(node.get(k), str) for k in REF_KEYWORDS):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


class _Inliner:
    def __init__(self, spec: referencing.Specification[Any]) -> None:
        self.spec = spec
        self.budget = MAX_SCHEMA_NODES * 4  # unrolling multiplies a schema; this bounds the product

    def inline(self, node: Any, resolver: Resolver[Any], unrolled: int, depth: int) -> Any:
        if isinstance(node, list):
            return [self.inline(v, resolver, unrolled, depth + 1) for v in node]
        if not isinstance(node, dict):
            return node
        self.budget -= 1
        if depth > 2 * MAX_SCHEMA_DEPTH or self.budget <= 0:
            return {}
        if depth and self.spec.id_of(node):
            resolver = resolver.in_subresource(self.spec.create_resource(node))
        ref = next((node[k] for k in REF_KEYWORDS if isinstance(node.get(k), str)), None)
        if ref is not None:
            rest = {k: v for k, v in node.items() if k not in REF_KEYWORDS}
            if unrolled >= MAX_UNROLL:
                return {}
            try:
                found = resolver.lookup(ref)
            except Unresolvable:  # only schemas that skipped import checks get here
                return self.inline(rest, resolver, unrolled, depth)
            target = found.contents
            merged = {**target, **rest} if isinstance(target, dict) else rest
            return self.inline(merged, found.resolver, unrolled + 1, depth)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _KEPT or key in _DATA:
                out[key] = value
            elif key in MAPS and isinstance(value, dict):  # name -> schema: the names are not keywords
                out[key] = {n: self.inline(v, resolver, unrolled, depth + 2) for n, v in value.items()}
            else:
                out[key] = self.inline(value, resolver, unrolled, depth + 1)
        return out


class ResolvedNode(dict[str, Any]):
    """A subschema of a prepared schema's resolved form. Generators and fitters hand parts of the
    resolved form around and ask for them resolved or prepared again, many times per episode; a
    node knows it holds no reference and keeps its own prepared validator (built on first use), so
    neither is done twice. `dialect` is the URI the node is read in."""

    __slots__ = ("dialect", "prepared")

    def __init__(self, items: dict[str, Any], dialect: str) -> None:
        super().__init__(items)
        self.dialect = dialect
        self.prepared: Any = None


def as_nodes(schema: Any, uri: str) -> Any:
    """`schema` (a resolved form) with every subschema a `ResolvedNode` in dialect `uri`; data
    (`enum`, `const`, `default`, `examples`) and `$defs` are kept as they are."""
    if not isinstance(schema, dict):
        return schema
    return ResolvedNode(map_subschemas(schema, lambda sub: as_nodes(sub, uri), _KEPT | _DATA), uri)


def with_dialect(schema: Any, uri: str) -> Any:
    """A copy of `schema` whose every subschema names `uri` as its `$schema`, so a part taken out
    of it (a property's schema, an item's) is still read in the dialect of the whole."""
    if not isinstance(schema, dict):
        return schema
    return {**map_subschemas(schema, lambda sub: with_dialect(sub, uri), _KEPT | _DATA), "$schema": uri}
