"""Bounds on nesting and size, checked without recursion so a hostile value cannot overflow the stack.

A schema deeper than `MAX_SCHEMA_DEPTH` or larger than `MAX_SCHEMA_NODES` is rejected at import: every
later stage walks schemas recursively (validation, value generation, the tool graph), and what imports
as ok must never make one of them fail. JSON lines of a catalog get the looser `MAX_JSON_DEPTH`
(the envelope around a tool adds a few levels).
"""

from __future__ import annotations

from typing import Any

MAX_SCHEMA_DEPTH = 64
MAX_SCHEMA_NODES = 20_000
MAX_JSON_DEPTH = 96


def too_deep(value: Any, limit: int) -> bool:
    """Whether `value` nests objects and arrays more than `limit` levels."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def size_problem(
    value: Any, *, max_depth: int = MAX_SCHEMA_DEPTH, max_nodes: int = MAX_SCHEMA_NODES
) -> str | None:
    """Why `value` is too deep or too large for a schema, or None when it is within the bounds."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            return (
                f"has more than {max_nodes} values (limit {max_nodes}); split the tool or simplify its schema"
            )
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > max_depth:
            return f"nests deeper than {max_depth} levels (limit {max_depth}); flatten it"
        stack.extend((child, depth + 1) for child in children)
    return None
