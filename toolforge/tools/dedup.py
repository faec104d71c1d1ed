"""Deduplication: exact (canonical-schema fingerprint) and near-duplicate.

Near-duplicate = embeddings of the description (all-MiniLM-L6-v2) with cosine ≥ `threshold`,
computed blockwise, *and* two cheap gates that the embedding alone gets wrong on CRUD families
(``get_order`` vs ``delete_order`` read alike): the input schemas share most parameter names
(Jaccard ≥ `interface_gate`) and the names share an object word (``fetch_order_details`` and
``get_order`` both name "order").

Duplicates are linked, never deleted: their row gets status "duplicate" and `duplicate_of` = the
kept tool's id. Which tool is kept is deterministic: real tools before synthetic ones
(`SOURCE_RANK`), then by id. Near-duplicates use leader clustering in that order — a tool is a
duplicate of the most similar *kept* tool above the threshold — so similarity never chains
A ~ B ~ C into one cluster when A and C are far apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from toolforge.core.store import Store, ToolRow, to_row
from toolforge.core.types import ToolSpec
from toolforge.tools.graph import TextEmbedder

SOURCE_RANK = {"mcp": 0, "python": 1, "catalog": 2, "synthetic": 3}
DEFAULT_THRESHOLD = 0.8
DEFAULT_INTERFACE_GATE = 0.75
BLOCK = 2048


# Words in tool names that say what is done, not to what; the rest name the object.
NAME_VERBS = frozenset(
    "get list create update delete search archive export fetch retrieve read lookup enumerate browse "
    "show all add new register modify edit patch remove erase destroy find query matching set put post "
    "make do run check view open close send compute calculate generate details v1 v2 v3 record info "
    "data by for to of from with and the a an".split()
)


def name_words(name: str) -> list[str]:
    spaced = re.sub(r"[_\-.]+", " ", re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", name)).lower()
    return spaced.split()


def name_objects(name: str) -> frozenset[str]:
    """The object words of a tool name, singular: fetch_order_details → {"order"}."""
    out = set()
    for word in name_words(name):
        if word in NAME_VERBS:
            continue
        out.add(word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 3 else word)
    return frozenset(out)


def embedding_text(tool: ToolSpec) -> str:
    """What near-dedup embeds: the description (the name in words when there is none)."""
    return tool.description.strip() or " ".join(name_words(tool.name))


def interface_similarity(a: ToolSpec, b: ToolSpec) -> float:
    """Jaccard similarity of the two input schemas' top-level property names (1.0 when both empty)."""
    ka = set(a.input_schema.get("properties") or {})
    kb = set(b.input_schema.get("properties") or {})
    return len(ka & kb) / len(ka | kb) if ka | kb else 1.0


def gates_pass(a: ToolSpec, b: ToolSpec, interface_gate: float) -> bool:
    """Near-duplicates must take (mostly) the same parameters and name a common object."""
    if interface_similarity(a, b) < interface_gate:
        return False
    oa, ob = name_objects(a.name), name_objects(b.name)
    return not oa or not ob or bool(oa & ob)


def keep_order(tools: Sequence[ToolSpec]) -> list[ToolSpec]:
    return sorted(tools, key=lambda t: (SOURCE_RANK.get(t.source, 9), t.id))


@dataclass
class DedupResult:
    kept: list[str] = field(default_factory=list)
    exact: dict[str, str] = field(default_factory=dict)  # duplicate id -> kept id
    near: dict[str, tuple[str, float]] = field(default_factory=dict)  # duplicate id -> (kept id, cosine)

    @property
    def duplicate_of(self) -> dict[str, str]:
        return {**self.exact, **{k: v for k, (v, _) in self.near.items()}}


def exact_duplicates(tools: Sequence[ToolSpec]) -> tuple[list[ToolSpec], dict[str, str]]:
    """(first tool of each fingerprint in keep order, duplicate id → kept id)."""
    first: dict[str, ToolSpec] = {}
    links: dict[str, str] = {}
    for tool in keep_order(tools):
        kept = first.setdefault(tool.fingerprint, tool)
        if kept is not tool:
            links[tool.id] = kept.id
    return list(first.values()), links


def near_pairs(vectors: np.ndarray, threshold: float, block: int = BLOCK) -> list[list[tuple[int, float]]]:
    """For each row i, the rows j < i with cosine ≥ threshold, as (j, cosine). Rows must be
    L2-normalised; memory is one `block` × n slab at a time."""
    n = vectors.shape[0]
    found: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for start in range(0, n, block):
        stop = min(start + block, n)
        sims = vectors[start:stop] @ vectors[:stop].T  # only j < i matters
        rows, cols = np.nonzero(sims >= threshold)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i = start + r
            if c < i:
                found[i].append((c, float(sims[r, c])))
    return found


def dedup(
    tools: Sequence[ToolSpec],
    embedder: TextEmbedder | None,
    threshold: float = DEFAULT_THRESHOLD,
    interface_gate: float = DEFAULT_INTERFACE_GATE,
) -> DedupResult:
    """Decide, for every tool, whether it is kept or a duplicate of a kept one."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    unique, exact = exact_duplicates(tools)
    result = DedupResult(exact=exact)
    ordered = keep_order(unique)
    if embedder is None or not ordered:
        result.kept = [t.id for t in ordered]
        return result
    vectors = embedder.encode([embedding_text(t) for t in ordered]).astype(np.float32)
    pairs = near_pairs(vectors, threshold)
    kept = np.zeros(len(ordered), dtype=bool)
    for i, tool in enumerate(ordered):
        leaders = [
            (sim, j) for j, sim in pairs[i] if kept[j] and gates_pass(tool, ordered[j], interface_gate)
        ]
        if leaders:
            sim, j = max(leaders, key=lambda x: (x[0], -x[1]))
            result.near[tool.id] = (ordered[j].id, round(sim, 4))
        else:
            kept[i] = True
            result.kept.append(tool.id)
    return result


def apply(store: Store, tools: Sequence[ToolSpec], result: DedupResult) -> int:
    """Write the links: duplicates get status "duplicate" + duplicate_of; kept tools status "ok".
    Returns the number of rows whose status changed."""
    current = {r.id: (r.status, r.duplicate_of) for r in store.tool_rows() if r.status in ("ok", "duplicate")}
    links = result.duplicate_of
    rows: list[ToolRow] = []
    for tool in tools:
        target = ("duplicate", links[tool.id]) if tool.id in links else ("ok", None)
        if current.get(tool.id) != target:
            reason = None
            if tool.id in result.near:
                reason = f"near-duplicate (cosine {result.near[tool.id][1]:.3f})"
            elif tool.id in result.exact:
                reason = "exact duplicate (same fingerprint)"
            rows.append(to_row(tool, status=target[0], duplicate_of=target[1], reason=reason))
    if rows:
        store.upsert_rows(rows)
    return len(rows)
