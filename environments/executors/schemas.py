"""Local `$ref`s inlined, so any subschema can be generated from or validated on its own."""

from __future__ import annotations

from typing import Any

_MAX_DEPTH = 8
_CACHE: dict[int, tuple[Any, Any]] = {}


def inline_refs(schema: Any) -> Any:
    """`schema` with every local `#/...` reference replaced by its target (recursive schemas are
    cut to `{}` below a fixed depth). Cached per schema object."""
    if not isinstance(schema, dict):
        return schema
    found = _CACHE.get(id(schema))
    if found is not None and found[0] is schema:
        return found[1]
    out = _inline(schema, schema, 0) if "$ref" in str(schema) else schema
    _CACHE[id(schema)] = (schema, out)
    return out


def _target(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in [p for p in ref[1:].split("/") if p]:
        if not isinstance(node, dict):
            return {}
        node = node.get(part.replace("~1", "/").replace("~0", "~"), {})
    return node


def _inline(node: Any, root: dict[str, Any], depth: int) -> Any:
    if isinstance(node, list):
        return [_inline(v, root, depth) for v in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        if depth >= _MAX_DEPTH:
            return {}
        target = _target(root, node["$ref"])
        rest = {k: v for k, v in node.items() if k != "$ref"}
        merged = {**target, **rest} if isinstance(target, dict) else rest
        return _inline(merged, root, depth + 1)
    return {k: (_inline(v, root, depth) if k not in ("$defs", "definitions") else v) for k, v in node.items()}
