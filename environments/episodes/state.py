"""The world state of one episode: plain JSON, `{collection: {id: record}}` plus a few reserved
keys. Python toolkits, the schema simulator and the world-model simulator share this layout, so a
blueprint's expected end state compares with any trajectory's final state.

Reserved keys: `_seq` (id counters per kind), `_faults` (injected tool failures, consumed in
order), `_log` (calls of state-changing tools that touch no entity), `_mcp` (the end states of
per-episode MCP servers, by server id).
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

State = dict[str, Any]
RESERVED = ("_seq", "_faults", "_log", "_mcp")


def plural(kind: str) -> str:
    if kind.endswith("y") and not kind.endswith(("ay", "ey", "oy", "uy")):
        return kind[:-1] + "ies"
    if kind.endswith(("s", "x", "ch", "sh")):
        return kind + "es"
    return kind + "s"


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def collections(state: State) -> dict[str, dict[str, Any]]:
    """The entity collections of a state (reserved keys left out)."""
    return {k: v for k, v in state.items() if k not in RESERVED and isinstance(v, dict)}


def entity_view(state: State) -> State:
    """The state without bookkeeping (`_seq`): what end-state comparisons look at."""
    return {k: v for k, v in state.items() if k != "_seq"}


def next_id(state: State, kind: str) -> str:
    seq = state.setdefault("_seq", {})
    collection = state.get(plural(kind), {})
    n = int(seq.get(kind, len(collection))) + 1
    while f"{kind}_{n:04d}" in collection:
        n += 1
    seq[kind] = n
    return f"{kind}_{n:04d}"


class Fault(BaseModel):
    """An injected failure: the next `times` calls of `tool` fail with `error` (a recovery task)."""

    model_config = ConfigDict(extra="forbid")
    tool: str
    error: str = "Service temporarily unavailable (503). Please retry."
    times: int = 1


def take_fault(state: State, tool: str) -> str | None:
    """Consume one pending fault for `tool`; its error text, or None."""
    for fault in state.get("_faults", []):
        if fault["tool"] == tool and fault["times"] > 0:
            fault["times"] -= 1
            return str(fault["error"])
    return None


class Upsert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    collection: str
    id: str
    record: dict[str, Any]


class Delete(BaseModel):
    model_config = ConfigDict(extra="forbid")
    collection: str
    id: str


class StateDelta(BaseModel):
    """What a tool call changed: records set (merged over what exists) and records removed."""

    model_config = ConfigDict(extra="forbid")
    upserts: list[Upsert] = Field(default_factory=list)
    deletes: list[Delete] = Field(default_factory=list)

    def apply(self, state: State) -> None:
        for up in self.upserts:
            if up.collection in RESERVED:
                raise ValueError(f"a delta may not write the reserved key {up.collection!r}")
            coll = state.setdefault(up.collection, {})
            merged = dict(coll.get(up.id, {}))
            merged.update(copy.deepcopy(up.record))
            merged.setdefault("id", up.id)
            coll[up.id] = merged
        for dl in self.deletes:
            state.get(dl.collection, {}).pop(dl.id, None)


def state_diff(actual: State, expected: State, limit: int = 20) -> list[str]:
    """Where two states differ, entity by entity (bookkeeping `_seq` ignored); [] when equal."""
    a, e = entity_view(actual), entity_view(expected)
    out: list[str] = []
    for key in sorted(a.keys() | e.keys()):
        av, ev = a.get(key), e.get(key)
        if av == ev:
            continue
        if isinstance(av, dict) and isinstance(ev, dict):
            for rid in sorted(av.keys() | ev.keys()):
                if av.get(rid) != ev.get(rid):
                    out.append(f"{key}/{rid}: expected {ev.get(rid)!r}, got {av.get(rid)!r}")
        else:
            out.append(f"{key}: expected {ev!r}, got {av!r}")
    return out[:limit]
