"""The tool graph (networkx): which tool's output can feed which tool's input, and who shares a domain.

Nodes are tool ids (`ToolSpec.id`). Edges are directed and carry a `kind`:

- ``"feeds"`` A→B: an output field of A (any depth of A's `output_schema`, through arrays and
  local `$ref`s) can fill a parameter of B — same JSON type family and the same name, where an
  ``id`` field is also known by its entity (``events[].id`` of `list_events` → ``event_id``), or a
  name whose embedding is close when an embedder is given. `links` lists the
  ``(output path, parameter)`` pairs.
- ``"domain"``: A and B share a domain (synthetic tools) or a server (harvested tools); both
  directions. Small groups are cliques; groups larger than `CLIQUE_MAX` are linked as a ring so the
  edge count stays linear.

Sampling is seeded and deterministic: equal tools and seed give equal results in any process.
Toolsets are grown as a random connected walk over both kinds of edges (feed neighbours preferred)
with unique names; chains follow feed edges only.
"""

from __future__ import annotations

import random
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import networkx as nx
import numpy as np

from toolforge.core.types import ToolSpec

CLIQUE_MAX = 32
# Cross-domain producers kept per consumer parameter (same-domain producers are all kept).
CROSS_DOMAIN_FANIN = 8
EMBED_THRESHOLD = 0.72
# Field names too generic to link tools of different domains ("status" of an order is not the
# "status" filter of a ticket search). They still link tools within one domain.
GENERIC_NAMES = frozenset(
    "id name title description status type message result results data value values count total "
    "success ok error errors limit offset page page_size cursor next_cursor query q text content "
    "notes note details info items created_at updated_at timestamp date time start end format "
    "mode kind label tags url verbose include_details".split()
)
_VERBS = frozenset(
    "get list create add update delete remove set find search fetch check cancel read write move "
    "view place request ship append tag make new edit show compute calculate send post put patch "
    "lookup query run start stop open close enable disable generate validate".split()
)


class TextEmbedder(Protocol):
    """Anything that turns texts into L2-normalised row vectors (see `toolforge.tools.embed`)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class SchemaField:
    """One output field or input parameter: its name, path, JSON types and the names it answers to."""

    path: str
    name: str
    types: frozenset[str]
    keys: frozenset[str]


def _snake(text: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", text)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _types(schema: dict[str, Any]) -> frozenset[str]:
    """The JSON types a schema admits (empty = unknown); integer counts as number too."""
    found: set[str] = set()
    kind = schema.get("type")
    if isinstance(kind, str):
        found.add(kind)
    elif isinstance(kind, list):
        found.update(k for k in kind if isinstance(k, str))
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key, []) or []:
            if isinstance(branch, dict):
                found |= _types(branch)
    found.discard("null")
    if "integer" in found:
        found.add("number")
    return frozenset(found)


def _compatible(out: frozenset[str], param: frozenset[str]) -> bool:
    return not out or not param or bool(out & param)


def _schema(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _Walker:
    """Flattens a resolved output schema (references inlined by the schema service) into fields."""

    def fields(self, schema: Any, path: str, hints: tuple[str, ...], depth: int) -> Iterable[SchemaField]:
        schema = _schema(schema)
        if depth > 4 or not schema:
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(key, []) or []:
                yield from self.fields(branch, path, hints, depth + 1)
        if isinstance(schema.get("title"), str):
            hints = (*hints, _singular(_snake(schema["title"]).split("_")[0]))
        items = schema.get("items")
        if isinstance(items, dict):
            yield from self.fields(items, path + "[]", hints, depth + 1)
        props = schema.get("properties")
        if not isinstance(props, dict):
            return
        for name, sub in props.items():
            if not isinstance(name, str):
                continue
            sub_schema = _schema(sub)
            sub_path = f"{path}.{name}" if path else name
            snake = _snake(name)
            keys = {snake}
            if snake == "id":
                keys |= {f"{h}_id" for h in hints if h}
            types = _types(sub_schema)
            yield SchemaField(sub_path, name, types, frozenset(keys))
            if types & {"object", "array"} or "properties" in sub_schema or "items" in sub_schema:
                child_hints = (_singular(snake),)  # an `id` below belongs to this field's entity
                yield from self.fields(sub_schema, sub_path, child_hints, depth + 1)


def output_fields(tool: ToolSpec) -> list[SchemaField]:
    """The fields a tool returns, each with the parameter names it can fill."""
    if not tool.output_schema:
        return []
    tokens = [t for t in _snake(tool.name).split("_") if t and t not in _VERBS]
    hints = tuple(_singular(t) for t in tokens[-1:])  # get_order_status → "status"; list_events → "event"
    return list(_Walker().fields(tool.output_resolved, "", hints, 0))


def input_fields(tool: ToolSpec) -> list[SchemaField]:
    """A tool's top-level parameters."""
    props = _schema(tool.input_resolved).get("properties")
    if not isinstance(props, dict):
        return []
    return [
        SchemaField(name, name, _types(_schema(sub)), frozenset({_snake(name)}))
        for name, sub in props.items()
        if isinstance(name, str)
    ]


def _group(tool: ToolSpec) -> str:
    """The domain a tool belongs to: its domain if synthetic, else where it came from."""
    if tool.domain:
        return f"{tool.category or ''}/{tool.domain}"
    return f"{tool.source}:{tool.origin}"


def _order(a: str, b: str) -> int:
    return zlib.crc32(f"{a}|{b}".encode())


class ToolGraph:
    """A directed tool graph; build it with `ToolGraph.build(tools)`."""

    def __init__(self, graph: nx.DiGraph, tools: dict[str, ToolSpec]) -> None:
        self.graph = graph
        self.tools = tools
        self._components: list[set[str]] | None = None

    @property
    def components(self) -> list[set[str]]:
        """Weakly connected components, largest first (computed once)."""
        if self._components is None:
            found = [set(c) for c in nx.weakly_connected_components(self.graph)]
            self._components = sorted(found, key=lambda c: (-len(c), min(c)))
        return self._components

    # ---- building -----------------------------------------------------------------------------

    @classmethod
    def build(cls, tools: list[ToolSpec], embedder: TextEmbedder | None = None) -> ToolGraph:
        by_id: dict[str, ToolSpec] = {}
        for tool in tools:
            if tool.id in by_id:
                raise ValueError(f"tool id {tool.id} ({tool.name}) appears twice; pass each tool once")
            by_id[tool.id] = tool
        ids = sorted(by_id)
        graph = nx.DiGraph()
        for tid in ids:
            t = by_id[tid]
            graph.add_node(tid, name=t.name, group=_group(t))

        groups: dict[str, list[str]] = defaultdict(list)
        for tid in ids:
            groups[_group(by_id[tid])].append(tid)
        for members in groups.values():
            if len(members) <= CLIQUE_MAX:
                pairs = [(a, b) for a in members for b in members if a != b]
            else:
                ring = list(zip(members, members[1:] + members[:1], strict=True))
                pairs = ring + [(b, a) for a, b in ring]
            graph.add_edges_from(pairs, kind="domain", links=[])

        # Producers by output key, and by (key, group) for same-domain lookups.
        producers: dict[str, list[tuple[str, SchemaField]]] = defaultdict(list)
        local: dict[tuple[str, str], list[tuple[str, SchemaField]]] = defaultdict(list)
        for tid in ids:
            group = _group(by_id[tid])
            for f in output_fields(by_id[tid]):
                for key in f.keys:
                    producers[key].append((tid, f))
                    local[(key, group)].append((tid, f))
        aliases = _embedding_aliases(producers, by_id, embedder) if embedder is not None else {}

        for tid in ids:
            group = _group(by_id[tid])
            for param in input_fields(by_id[tid]):
                (key,) = param.keys
                keys = [key, *aliases.get(key, ())]
                same: dict[str, SchemaField] = {}
                for k in keys:
                    for pid, f in local.get((k, group), []):
                        if pid != tid and _compatible(f.types, param.types):
                            same.setdefault(pid, f)
                cross: dict[str, SchemaField] = {}
                if key not in GENERIC_NAMES:
                    for k in keys:
                        cross.update(_pick_cross(producers.get(k, []), tid, group, param, by_id, cross))
                for pid, f in [*same.items(), *cross.items()]:
                    data = graph.get_edge_data(pid, tid)
                    if data is None or data["kind"] != "feeds":
                        graph.add_edge(pid, tid, kind="feeds", links=[(f.path, param.name)])
                    elif (f.path, param.name) not in data["links"]:
                        data["links"].append((f.path, param.name))
        return cls(graph, by_id)

    # ---- queries ------------------------------------------------------------------------------

    def feeds(self, a: ToolSpec, b: ToolSpec) -> list[tuple[str, str]]:
        """The (output path of a, parameter of b) pairs by which a can feed b; [] if none."""
        data = self.graph.get_edge_data(a.id, b.id)
        return list(data["links"]) if data and data["kind"] == "feeds" else []

    def _neighbours(self, tid: str) -> tuple[list[str], list[str]]:
        """Feed neighbours (either direction) and domain-only neighbours, sorted."""
        feed: set[str] = set()
        other: set[str] = set()
        for nbr, data in [*self.graph.succ[tid].items(), *self.graph.pred[tid].items()]:
            (feed if data["kind"] == "feeds" else other).add(nbr)
        return sorted(feed), sorted(other - feed)

    def sample_toolset(self, seed: int, min_size: int, max_size: int) -> list[ToolSpec]:
        """A connected set of `min_size`..`max_size` tools with distinct names, grown from a random
        start by a seeded walk (feed neighbours three times as likely as domain-mates). The walk
        stays in the start's domain while that has tools left: an agent is one kind of assistant,
        not a shop's refunds beside a helpdesk's tickets and a calendar's attendees."""
        if not 1 <= min_size <= max_size:
            raise ValueError(f"need 1 <= min_size <= max_size, got {min_size}..{max_size}")
        rng = random.Random(seed)
        target = rng.randint(min_size, max_size)
        big = [c for c in self.components if len(c) >= min_size]
        starts = sorted(t for c in big for t in c)
        if not starts:
            raise ValueError(
                f"no connected group of {min_size}+ tools in a graph of {len(self.tools)} tools; "
                "lower min_size or add tools"
            )
        for _attempt in range(8):
            chosen = [rng.choice(starts)]
            names = {self.tools[chosen[0]].name}
            members = set(chosen)
            group = self.graph.nodes[chosen[0]]["group"]
            while len(chosen) < target:
                weighted: dict[str, int] = {}
                for tid in chosen:
                    feed, other = self._neighbours(tid)
                    for n in feed:
                        weighted[n] = 3
                    for n in other:
                        weighted.setdefault(n, 1)
                frontier = sorted(n for n in weighted if n not in members and self.tools[n].name not in names)
                if not frontier:
                    break
                frontier = [n for n in frontier if self.graph.nodes[n]["group"] == group] or frontier
                pick = rng.choices(frontier, weights=[weighted[n] for n in frontier])[0]
                chosen.append(pick)
                members.add(pick)
                names.add(self.tools[pick].name)
            if len(chosen) >= min_size:
                return [self.tools[t] for t in chosen]
        raise ValueError(
            f"could not grow a toolset of {min_size}+ tools with distinct names from seed {seed}"
        )

    def sample_chain(self, tools: list[ToolSpec], length: int, seed: int) -> list[ToolSpec]:
        """A call chain t1→t2→… of up to `length` distinct tools from `tools`, each feeding the next.
        Returns the first path of `length` found by a seeded depth-first search, else the longest
        one (a single tool when no two of `tools` are linked by a feed edge; [] for no tools)."""
        if length < 1:
            raise ValueError(f"length must be >= 1, got {length}")
        ids = sorted({t.id for t in tools if t.id in self.tools})
        if not ids:
            return []
        inside = set(ids)
        succ = {
            t: sorted(n for n, d in self.graph.succ[t].items() if d["kind"] == "feeds" and n in inside)
            for t in ids
        }
        rng = random.Random(seed)
        starts = [t for t in ids if succ[t]] or ids
        rng.shuffle(starts)
        best: list[str] = [starts[0]]
        budget = 20_000
        for start in starts:
            stack: list[tuple[list[str], list[str]]] = [([start], _shuffled(succ[start], rng))]
            while stack and budget > 0:
                path, options = stack[-1]
                if len(path) > len(best):
                    best = list(path)
                if len(path) >= length:
                    return [self.tools[t] for t in path[:length]]
                if not options:
                    stack.pop()
                    continue
                budget -= 1
                nxt = options.pop()
                if nxt not in path:
                    stack.append(([*path, nxt], _shuffled(succ[nxt], rng)))
            if budget <= 0:
                break
        return [self.tools[t] for t in best]

    def stats(self) -> dict[str, Any]:
        kinds: dict[str, int] = defaultdict(int)
        for _, _, data in self.graph.edges(data=True):
            kinds[data["kind"]] += 1
        components = [len(c) for c in self.components]
        feed_out = [
            sum(1 for _, d in self.graph.succ[t].items() if d["kind"] == "feeds") for t in self.graph.nodes
        ]
        n = self.graph.number_of_nodes()
        return {
            "tools": n,
            "edges": self.graph.number_of_edges(),
            "feed_edges": kinds["feeds"],
            "domain_edges": kinds["domain"],
            "groups": len({d["group"] for _, d in self.graph.nodes(data=True)}),
            "components": len(components),
            "largest_component": components[0] if components else 0,
            "isolated": sum(1 for c in components if c == 1),
            "tools_feeding_others": sum(1 for x in feed_out if x),
            "mean_feed_out_degree": round(sum(feed_out) / n, 3) if n else 0.0,
        }


def _pick_cross(
    candidates: list[tuple[str, SchemaField]],
    tid: str,
    group: str,
    param: SchemaField,
    tools: dict[str, ToolSpec],
    already: dict[str, SchemaField],
) -> dict[str, SchemaField]:
    """Up to CROSS_DOMAIN_FANIN type-compatible producers from other groups, starting at a place in
    the (id-ordered) candidate list fixed by the consumer's id: deterministic, and O(fan-in) rather
    than O(candidates) for a key that thousands of tools produce."""
    out: dict[str, SchemaField] = {}
    n = len(candidates)
    if n == 0:
        return out
    start = _order(tid, param.name) % n
    for step in range(n):
        if len(out) + len(already) >= CROSS_DOMAIN_FANIN:
            break
        pid, f = candidates[(start + step) % n]
        if pid == tid or pid in out or pid in already or _group(tools[pid]) == group:
            continue
        if _compatible(f.types, param.types):
            out[pid] = f
    return out


def _shuffled(items: list[str], rng: random.Random) -> list[str]:
    out = list(items)
    rng.shuffle(out)
    return out


def _embedding_aliases(
    producers: dict[str, list[tuple[str, SchemaField]]], tools: dict[str, ToolSpec], embedder: TextEmbedder
) -> dict[str, list[str]]:
    """Parameter name → output keys with a close embedding (not generic names, not itself)."""
    params = sorted(
        {k for t in tools.values() for f in input_fields(t) for k in f.keys if k not in GENERIC_NAMES}
    )
    outs = sorted(k for k in producers if k not in GENERIC_NAMES)
    if not params or not outs:
        return {}
    pv = embedder.encode([p.replace("_", " ") for p in params])
    ov = embedder.encode([o.replace("_", " ") for o in outs])
    aliases: dict[str, list[str]] = {}
    for start in range(0, len(params), 1024):
        sims = pv[start : start + 1024] @ ov.T
        for i, j in zip(*np.nonzero(sims >= EMBED_THRESHOLD), strict=True):
            p, o = params[start + int(i)], outs[int(j)]
            if p != o:
                aliases.setdefault(p, []).append(o)
    return aliases
