"""The scalar leaves of a JSON value, for checks that look at every value a call or a result holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def keyed_leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """(key, scalar) for every scalar in a JSON value, in order; list items carry their list's key."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from keyed_leaves(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from keyed_leaves(v, key)
    else:
        yield key, value


def leaves(value: Any) -> list[Any]:
    """The scalars of a JSON value, in order."""
    return [leaf for _, leaf in keyed_leaves(value)]
