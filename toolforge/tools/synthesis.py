"""Synthetic tools by K2's hierarchical domain evolution: categories → domains → tools.

1. Categories: the configured list, or asked of the model (`CategoryList`).
2. Domains per category (`DomainList`): each with the entities it manages; the names already
   chosen are in the prompt and repeated names are dropped (novelty).
3. Tools per domain (`ToolBatch`), in rounds until the domain's quota is met: the model picks
   names, descriptions, typed parameters and returned fields, the effect and what state the tool
   reads and writes; we build the JSON Schemas (so even a tiny model yields valid schemas),
   annotations and `ToolSemantics` from that. A tool is novel when its name is new in its domain
   and its description is not a near copy (token Jaccard ≥ `NOVELTY_JACCARD`) of a sibling's;
   library-wide near-duplicates are the dedup stage's job.

Every model call goes through `LLMClient.structured` with a deterministic `cache_salt`, so a
re-run replays answered calls from the store's cache; domains whose quota is already met in the
store are skipped. That makes the stage resumable after a crash at any point.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolforge.core.errors import BudgetExceeded, LLMError, StructuredOutputError
from toolforge.core.ids import content_id, digest
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import BatchWriter, Store, ToolRow, to_row
from toolforge.core.types import ToolAnnotations, ToolSemantics, ToolSpec
from toolforge.tools.validate import rejection

NOVELTY_JACCARD = 0.8
# Sampling for the bundled SmolLM2-135M: greedy decoding loops inside JSON strings (the grammar does
# not bound their length) until max_tokens; mild temperature and repetition penalties let it finish.
LOCAL_SAMPLING: dict[str, Any] = {
    "temperature": 0.4,
    "max_tokens": 1024,
    "extra": {"frequency_penalty": 0.8, "presence_penalty": 0.4},
}
JsonType = Literal["string", "integer", "number", "boolean", "array", "object"]
Effect = Literal["read", "create", "update", "delete", "action"]

# ---- what the model is asked for --------------------------------------------------------------


class CategoryIdea(BaseModel):
    name: str = Field(max_length=60, description="a broad area of tool use, e.g. 'travel'")
    description: str = Field(max_length=240)


class CategoryList(BaseModel):
    categories: list[CategoryIdea] = Field(min_length=1, max_length=60)


class DomainIdea(BaseModel):
    name: str = Field(max_length=60, description="a concrete application, e.g. 'airline booking'")
    description: str = Field(max_length=240)
    entities: list[str] = Field(min_length=1, max_length=6, description="the kinds of records it manages")


class DomainList(BaseModel):
    domains: list[DomainIdea] = Field(min_length=1, max_length=40)


class ParamIdea(BaseModel):
    name: str = Field(max_length=48)
    type: JsonType
    description: str = Field(max_length=200)
    required: bool = True


class FieldIdea(BaseModel):
    name: str = Field(max_length=48)
    type: JsonType
    description: str = Field(max_length=200)


class ToolIdea(BaseModel):
    name: str = Field(max_length=60, description="snake_case function name")
    description: str = Field(max_length=400)
    params: list[ParamIdea] = Field(max_length=8)
    returns: list[FieldIdea] = Field(min_length=1, max_length=8)
    effect: Effect
    reads: list[str] = Field(max_length=4, description="entities it reads")
    writes: list[str] = Field(max_length=4, description="entities it changes")
    idempotent: bool
    open_world: bool = False


class ToolBatch(BaseModel):
    tools: list[ToolIdea] = Field(min_length=1, max_length=12)


# ---- configuration ----------------------------------------------------------------------------


class SynthesisConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: int = Field(default=200, ge=1, description="synthetic tools wanted in the library")
    categories: list[str] = Field(default_factory=list, description="empty: the model proposes them")
    n_categories: int = Field(default=12, ge=1, le=60)
    tools_per_domain: int = Field(default=8, ge=1, le=40)
    tools_per_call: int = Field(default=8, ge=1, le=12)
    domains_per_call: int = Field(default=10, ge=1, le=40)
    max_rounds: int = Field(default=4, ge=1, description="tool calls per domain before giving up")
    concurrency: int = Field(default=32, ge=1)
    seed: int = 0


@dataclass
class Domain:
    category: str
    name: str
    description: str
    entities: list[str]


@dataclass
class SynthesisReport:
    categories: list[str] = field(default_factory=list)
    domains: int = 0
    accepted: int = 0
    rejected: int = 0
    not_novel: int = 0
    failed_calls: int = 0
    already: int = 0
    by_category: dict[str, Counter[str]] = field(default_factory=dict)


# ---- building tools from ideas ----------------------------------------------------------------


def snake(text: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", text.strip())
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _prop(kind: str, description: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "description": description}
    if kind == "array":
        out["items"] = {"type": "string"}
    return out


def tool_from_idea(idea: ToolIdea, domain: Domain, provenance: dict[str, Any]) -> ToolSpec:
    params = {snake(p.name) or f"arg{i}": p for i, p in enumerate(idea.params)}
    returns = {snake(f.name) or f"field{i}": f for i, f in enumerate(idea.returns)}
    input_schema: dict[str, Any] = {
        "type": "object",
        "properties": {k: _prop(p.type, p.description) for k, p in params.items()},
        "required": [k for k, p in params.items() if p.required],
        "additionalProperties": False,
    }
    output_schema: dict[str, Any] = {
        "type": "object",
        "properties": {k: _prop(f.type, f.description) for k, f in returns.items()},
        "required": list(returns),
    }
    effect = idea.effect
    return ToolSpec(
        name=snake(idea.name)[:64] or "unnamed_tool",
        description=idea.description.strip(),
        input_schema=input_schema,
        output_schema=output_schema,
        annotations=ToolAnnotations(
            read_only=effect == "read",
            destructive=effect in ("update", "delete"),
            idempotent=idea.idempotent or effect in ("read", "delete"),
            open_world=idea.open_world,
        ),
        source="synthetic",
        origin=f"{domain.category}/{domain.name}",
        category=domain.category,
        domain=domain.name,
        semantics=ToolSemantics(
            effect=effect,
            reads=[snake(x) for x in idea.reads if snake(x)],
            writes=[snake(x) for x in idea.writes if snake(x)],
        ),
        provenance=provenance,
    )


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def is_novel(tool: ToolSpec, siblings: list[ToolSpec]) -> bool:
    words = _tokens(tool.description)
    for other in siblings:
        if other.name == tool.name:
            return False
        theirs = _tokens(other.description)
        if words and len(words & theirs) / len(words | theirs) >= NOVELTY_JACCARD:
            return False
    return True


# ---- prompts ----------------------------------------------------------------------------------

SYSTEM = (
    "You design tools (functions) for a library that trains AI agents to use tools. "
    "Be concrete and varied; never repeat a name you are told already exists. Reply with JSON only."
)


def _categories_messages(cfg: SynthesisConfig) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"Propose {cfg.n_categories} distinct broad categories of real-world tool use "
            "(for example finance, travel, software development), each with a one-sentence description.",
        },
    ]


def _domains_messages(category: str, want: int, taken: list[str]) -> list[dict[str, Any]]:
    avoid = ", ".join(taken[-60:]) or "none yet"
    return [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"Category: {category}.\nPropose {want} distinct application domains in this category "
            f"(a concrete app or service each), with the entities (kinds of records) each one manages.\n"
            f"Domains that already exist (do not repeat): {avoid}.",
        },
    ]


def _tools_messages(domain: Domain, want: int, taken: list[str]) -> list[dict[str, Any]]:
    avoid = ", ".join(taken) or "none yet"
    return [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"Category: {domain.category}. Domain: {domain.name} — {domain.description}\n"
            f"Entities: {', '.join(domain.entities)}.\n"
            f"Design {want} new tools for this domain. For each: a snake_case name, a clear description, "
            "typed parameters, the fields it returns, its effect (read/create/update/delete/action), "
            "which entities it reads and writes, and whether calling it twice is the same as once.\n"
            f"Tools that already exist in this domain (do not repeat): {avoid}.",
        },
    ]


# ---- the evolution ----------------------------------------------------------------------------


PLAN_SLACK = 1.25


def plan_sizes(cfg: SynthesisConfig, n_categories: int) -> int:
    """Domains per category so that categories × domains × tools_per_domain ≥ target, with 25% spare
    domains for the ones a model fails on or cannot fill."""
    return max(1, math.ceil(PLAN_SLACK * cfg.target / (n_categories * cfg.tools_per_domain)))


def existing_synthetic(store: Store) -> dict[tuple[str, str], list[ToolSpec]]:
    """The valid synthetic tools the store already holds, by (category, domain): the resume point."""
    out: dict[tuple[str, str], list[ToolSpec]] = {}
    for row in store.tool_rows(source="synthetic"):
        if row.status == "rejected":
            continue
        out.setdefault((row.category or "", row.domain or ""), []).append(ToolSpec.model_validate(row.data))
    return out


class Synthesizer:
    """Runs the evolution to `cfg.target` synthetic tools in the store."""

    def __init__(
        self,
        store: Store,
        client: LLMClient,
        llm: LLMConfig,
        cfg: SynthesisConfig,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.llm = llm
        self.cfg = cfg
        self.on_progress = on_progress
        self.report = SynthesisReport()
        self._salt = digest({"cfg": cfg.model_dump(), "model": llm.model})

    async def _ask(self, messages: list[dict[str, Any]], output: type[Any], salt: str) -> Any | None:
        try:
            return await self.client.structured(
                self.llm,
                messages,
                output,
                role="synthesizer",
                cache_salt=f"{self._salt}:{salt}",
                item_id=content_id("synth", self._salt, salt),
            )
        except BudgetExceeded:
            raise
        except LLMError:  # invalid output after the repair, or a call that failed for good
            self.report.failed_calls += 1  # the client has stored it as a failure row
            return None

    async def categories(self) -> list[str]:
        if self.cfg.categories:
            return list(dict.fromkeys(c.strip() for c in self.cfg.categories if c.strip()))
        reply = await self._ask(_categories_messages(self.cfg), CategoryList, "categories")
        names = [snake(c.name).replace("_", " ") for c in reply.categories] if reply else []
        names = [n for n in dict.fromkeys(names) if n][: self.cfg.n_categories]
        if not names:
            raise StructuredOutputError("the model proposed no usable categories", raw="")
        return names

    async def domains(self, category: str, want: int) -> list[Domain]:
        found: dict[str, Domain] = {}
        rounds = math.ceil(want / self.cfg.domains_per_call) + self.cfg.max_rounds  # spare rounds for repeats
        for round_ in range(rounds):
            if len(found) >= want:
                break
            ask = min(self.cfg.domains_per_call, want - len(found))
            reply = await self._ask(
                _domains_messages(category, ask, list(found)), DomainList, f"domains:{category}:{round_}"
            )
            for d in reply.domains if reply else []:
                name = snake(d.name).replace("_", " ")
                if name and name not in found and len(found) < want:
                    found[name] = Domain(
                        category, name, d.description.strip(), [e for e in d.entities if e][:6]
                    )
        return list(found.values())

    async def tools(self, domain: Domain, have: list[ToolSpec], quota: int, writer: BatchWriter) -> int:
        """Fill `domain` up to `quota` accepted tools; returns how many were added."""
        siblings = list(have)
        added = 0
        counts = self.report.by_category.setdefault(domain.category, Counter())
        for round_ in range(self.cfg.max_rounds):
            if len(siblings) >= quota:
                break
            want = min(self.cfg.tools_per_call, quota - len(siblings))
            salt = f"tools:{domain.category}:{domain.name}:{len(siblings)}:{round_}"
            reply = await self._ask(
                _tools_messages(domain, want, [t.name for t in siblings]), ToolBatch, salt
            )
            rows: list[ToolRow] = []
            for idea in reply.tools if reply else []:
                if len(siblings) >= quota:
                    break
                tool = tool_from_idea(idea, domain, {"model": self.llm.model, "call": salt})
                if not is_novel(tool, siblings):
                    self.report.not_novel += 1
                    counts["not_novel"] += 1
                    continue
                reason = rejection(tool)
                rows.append(to_row(tool, status="rejected" if reason else "ok", reason=reason))
                if reason:
                    self.report.rejected += 1
                    counts["rejected"] += 1
                else:
                    siblings.append(tool)
                    added += 1
                    self.report.accepted += 1
                    counts["ok"] += 1
            if rows:
                await writer.write(rows)
                if self.on_progress is not None:
                    self.on_progress(sum(1 for r in rows if r.status == "ok"))
        return added

    async def run(self) -> SynthesisReport:
        """Evolve until the store holds `target` valid synthetic tools (or the plan is used up)."""
        existing = existing_synthetic(self.store)
        self.report.already = sum(len(ts) for ts in existing.values())
        for (category, _), ts in existing.items():
            self.report.by_category.setdefault(category, Counter())["earlier"] += len(ts)
        cats = await self.categories()
        self.report.categories = cats
        per_category = plan_sizes(self.cfg, len(cats))
        domain_lists = await asyncio.gather(*(self.domains(c, per_category) for c in cats))
        # Interleave categories so a partial run covers every category.
        domains = [d for group in _interleave(domain_lists) for d in group]
        self.report.domains = len(domains)
        gate = asyncio.Semaphore(self.cfg.concurrency)
        claimed = self.report.already
        done: set[str] = set()

        async def one(domain: Domain, writer: BatchWriter) -> None:
            nonlocal claimed
            async with gate:
                have = existing.get((domain.category, domain.name), [])
                if len(have) >= self.cfg.tools_per_domain:
                    done.add(domain.name + "|" + domain.category)  # full from an earlier run
                    return
                grant = min(self.cfg.tools_per_domain - len(have), self.cfg.target - claimed)
                if grant <= 0:
                    return  # the target is claimed for now; a later pass retries if claims come back
                done.add(domain.name + "|" + domain.category)
                claimed += grant
                added = await self.tools(domain, have, len(have) + grant, writer)
                claimed -= grant - added  # give back what this domain could not fill

        async with BatchWriter(self.store) as writer:
            # Passes until the target is met or every domain was tried: a domain that could not fill
            # its share gives the claim back, and the next pass hands it to an untried domain. Each
            # pass that starts below the target tries at least one new domain, so this ends.
            while claimed < self.cfg.target:
                todo = [d for d in domains if d.name + "|" + d.category not in done]
                if not todo:
                    break
                await asyncio.gather(*(one(d, writer) for d in todo))
        return self.report


def _interleave(groups: list[list[Domain]]) -> list[list[Domain]]:
    """[[a1, a2], [b1]] → [[a1, b1], [a2]]: round-robin over categories."""
    width = max((len(g) for g in groups), default=0)
    return [[g[i] for g in groups if i < len(g)] for i in range(width)]
