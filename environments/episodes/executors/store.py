"""The episode's entity store: `{collection: {id: record}}` inside the state, with the CRUD rules
every simulated tool obeys. What is created can be read back with the values it was given; an
update changes only the fields it sets; a delete removes; an id the store does not hold is a
domain error that says how to find a real one. Derived fields (totals, counts) are recomputed on
every write, so a record never stores arithmetic that does not hold.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from environments.episodes.state import State, next_id, plural
from toolforge.core.coherence import reconcile
from toolforge.core.values import words


def label(kind: str) -> str:
    """`support_agent` → "support agent"."""
    return " ".join(words(kind)) or kind


def not_found(kind: str, key: str) -> str:
    return f"no {label(kind)} with id {key}; list {label(plural(kind))} to find ids"


@lru_cache(maxsize=65536)
def ref_kind(param: str) -> str | None:
    """The kind an argument refers to by id: `customer_id` → customer, `productId` → product."""
    w = words(param)
    return "_".join(w[:-1]) if len(w) > 1 and w[-1] == "id" else None


def _fill(have: dict[str, Any], shown: dict[str, Any]) -> None:
    """Add to `have` what `shown` has beyond it, at every depth (the lines of an order too)."""
    for field, value in shown.items():
        if field not in have:
            have[field] = copy.deepcopy(value)
        elif isinstance(have[field], dict) and isinstance(value, dict):
            _fill(have[field], value)
        elif isinstance(have[field], list) and isinstance(value, list) and len(have[field]) == len(value):
            for mine, theirs in zip(have[field], value, strict=True):
                if isinstance(mine, dict) and isinstance(theirs, dict):
                    _fill(mine, theirs)


@dataclass
class EntityStore:
    state: State

    def tracks(self, kind: str) -> bool:
        """Whether the world keeps records of this kind (it has a collection for it)."""
        return isinstance(self.state.get(plural(kind)), dict)

    def records(self, kind: str) -> dict[str, dict[str, Any]]:
        found = self.state.get(plural(kind))
        return found if isinstance(found, dict) else {}

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        record = self.records(kind).get(key)
        return record if isinstance(record, dict) else None

    def create(self, kind: str, fields: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        """A new record of `fields` under `key` (or the next free `<kind>_0001` id)."""
        new_id = key if key is not None else next_id(self.state, kind)
        record = {"id": new_id, **{k: copy.deepcopy(v) for k, v in fields.items() if k != "id"}}
        self.state.setdefault(plural(kind), {})[new_id] = reconcile(record)
        return record

    def update(self, kind: str, key: str, changes: dict[str, Any]) -> dict[str, Any]:
        record = self.records(kind)[key]
        record.update({k: copy.deepcopy(v) for k, v in changes.items() if k != "id"})
        return reconcile(record)

    def absorb(self, kind: str, key: str, shown: dict[str, Any], skip: Iterable[str] = ()) -> None:
        """Keep the fields a result showed for a record that the record did not hold yet (nested
        ones too), so the next read shows them again; fields it holds are never changed this way."""
        record = self.get(kind, key)
        if record is None:
            return
        skipped = set(skip)
        _fill(record, {k: v for k, v in shown.items() if k not in skipped})

    def delete(self, kind: str, key: str) -> dict[str, Any]:
        return self.records(kind).pop(key)

    def missing_reference(self, arguments: dict[str, Any], skip: str | None = None) -> str | None:
        """The error for the first `<kind>_id` argument that names an id its kind's collection
        lacks (kinds the world does not track are not checked); None when all exist."""
        for param, value in arguments.items():
            kind = ref_kind(param)
            if param == skip or kind is None or not isinstance(value, str | int):
                continue
            if self.tracks(kind) and self.get(kind, str(value)) is None:
                return not_found(kind, str(value))
        return None
