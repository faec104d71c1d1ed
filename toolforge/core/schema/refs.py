"""References of one schema document, resolved with `referencing` and checked once, at import.

A schema is refused when a `$ref` is remote (another document: never fetched), dangling (its
document is this one but nothing is at the pointer), or part of a cycle that never reaches a smaller
value: through `$ref` and the keywords that apply to the same value (`allOf`, `anyOf`, `not`, ...)
validation would not end; through `$ref`, `allOf` and required properties no finite value exists.
Recursion through an optional property or an item (a tree, a linked list) is fine and common.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import referencing.jsonschema
from jsonschema.protocols import Validator
from referencing import Registry
from referencing.exceptions import NoSuchAnchor, PointerToNowhere, Unresolvable

from toolforge.core.schema.dialect import dialect_uri
from toolforge.core.schema.walk import IN_PLACE, escape, subschemas

if TYPE_CHECKING:
    from referencing._core import Resolver  # the type lookups return; not exported by name

# The base URI of a schema without an absolute `$id`; `.invalid` can never be a real host.
BASE_URI = "https://toolforge.invalid/schema.json"
REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


def registry_for(schema: dict[str, Any] | bool, cls: type[Validator]) -> tuple[Registry, str]:
    """A registry holding only `schema` (and the resources it embeds), and the URI it sits at."""
    spec = referencing.jsonschema.specification_with(dialect_uri(cls))
    resource = spec.create_resource(schema)
    uri = urljoin(BASE_URI, resource.id() or "")
    return Registry().with_resource(uri, resource).crawl(), uri


@dataclass
class _Graph:
    """Schema locations by pointer and the edges the two cycle checks follow."""

    in_place: dict[str, list[str]] = field(default_factory=dict)
    mandatory: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: dict[str, list[str]], source: str, target: str) -> None:
        kind.setdefault(source, []).append(target)


def reference_problems(schema: dict[str, Any] | bool, cls: type[Validator]) -> list[str]:
    """Every remote, dangling or cyclic reference of `schema`, each naming its pointer."""
    if not isinstance(schema, dict):
        return []
    registry, uri = registry_for(schema, cls)
    spec = referencing.jsonschema.specification_with(dialect_uri(cls))
    problems: list[str] = []
    graph = _Graph()
    # The pointer of each schema object of this document, by identity: local to this one check,
    # so that a reference's target (an object `referencing` hands back) can be named.
    pointer_of: dict[int, str] = {}
    refs: list[tuple[str, str, Resolver[Any]]] = []
    stack: list[tuple[str, Any, Resolver[Any]]] = [("", schema, registry.resolver(base_uri=uri))]
    while stack:
        pointer, node, resolver = stack.pop()
        if not isinstance(node, dict):
            continue
        pointer_of[id(node)] = pointer
        if pointer and spec.id_of(node):
            resolver = resolver.in_subresource(spec.create_resource(node))
        refs += [(pointer, node[k], resolver) for k in REF_KEYWORDS if isinstance(node.get(k), str)]
        _mandatory_children(node, pointer, graph)
        for suffix, child in subschemas(node):
            child_pointer = f"{pointer}/{suffix}"
            if suffix.split("/")[0] in IN_PLACE:
                graph.add(graph.in_place, pointer, child_pointer)
            stack.append((child_pointer, child, resolver))
    for pointer, ref, resolver in refs:
        try:
            target = resolver.lookup(ref).contents
        except (PointerToNowhere, NoSuchAnchor):
            problems.append(
                f"$ref {ref[:200]!r} at {_show(pointer)} points to nothing in the schema (dangling); "
                "add the definition it names or fix the pointer"
            )
            continue
        except Unresolvable:
            problems.append(
                f"$ref {ref[:200]!r} at {_show(pointer)} is remote (another document, never fetched); "
                "inline its definition under $defs"
            )
            continue
        target_pointer = pointer_of.get(id(target)) if isinstance(target, dict) else None
        if target_pointer is not None:
            graph.add(graph.in_place, pointer, target_pointer)
            graph.add(graph.mandatory, pointer, target_pointer)
    if not problems:
        if cycle := _cycle(graph.in_place):
            problems.append(
                f"$ref cycle {' -> '.join(map(_show, cycle))} never reaches a smaller value "
                "(validation would not end); put the recursion under properties or items"
            )
        elif cycle := _cycle(graph.mandatory):
            problems.append(
                f"required recursion {' -> '.join(map(_show, cycle))}: no finite value satisfies it; "
                "make one step of it optional"
            )
    return problems


def _mandatory_children(node: dict[str, Any], pointer: str, graph: _Graph) -> None:
    """Edges to the subschemas every valid value must contain: `allOf`, required properties,
    and items when at least one item is required."""
    for index, _ in enumerate(node.get("allOf") or [] if isinstance(node.get("allOf"), list) else []):
        graph.add(graph.mandatory, pointer, f"{pointer}/allOf/{index}")
    props = node.get("properties")
    required = node.get("required")
    if isinstance(props, dict) and isinstance(required, list):
        for name in required:
            if isinstance(name, str) and isinstance(props.get(name), dict):
                graph.add(graph.mandatory, pointer, f"{pointer}/properties/{escape(name)}")
    min_items = node.get("minItems")
    if not isinstance(min_items, int) or min_items <= 0:
        return
    items, prefix = node.get("items"), node.get("prefixItems")
    tuple_items = prefix if isinstance(prefix, list) else items if isinstance(items, list) else None
    key = "prefixItems" if isinstance(prefix, list) else "items"
    if tuple_items is not None:
        for index in range(min(min_items, len(tuple_items))):
            graph.add(graph.mandatory, pointer, f"{pointer}/{key}/{index}")
    if isinstance(items, dict) and (tuple_items is None or min_items > len(tuple_items)):
        graph.add(graph.mandatory, pointer, f"{pointer}/items")


def _cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """One cycle of the directed graph, as the path that closes it, or None."""
    done: set[str] = set()
    for start in sorted(edges):
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        iterators = [iter(edges.get(start, []))]
        while iterators:
            nxt = next(iterators[-1], None)
            if nxt is None:
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                iterators.pop()
                continue
            if nxt in on_path:
                return path[path.index(nxt) :] + [nxt]
            if nxt in done:
                continue
            path.append(nxt)
            on_path.add(nxt)
            iterators.append(iter(edges.get(nxt, [])))
    return None


def _show(pointer: str) -> str:
    return "#" + pointer if pointer else "#"
