"""Deterministic ids: a hash of canonical JSON, so re-running a stage finds what exists."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(value: Any, length: int = 16) -> str:
    """Hex SHA-256 of the canonical JSON of `value`, cut to `length` characters."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:length]


def content_id(prefix: str, *parts: Any) -> str:
    """An id such as `task_3f2a…`: the prefix names the kind, the hash names the content."""
    return f"{prefix}_{digest(list(parts))}"
