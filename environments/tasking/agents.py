"""Agents (K2 §3.1.1): a toolset sampled as a connected subgraph of the tool graph plus a system
prompt — written by the synthesizer model (role, policies and constraints, style) or from a
template when no model is set. Seeded: equal tools, config and seed give equal agents; stored."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from toolforge.core.errors import StructuredOutputError
from toolforge.core.store import Store
from toolforge.core.types import Agent, ToolSpec
from toolforge.tools.graph import ToolGraph

STYLES = [
    "concise and friendly",
    "formal and thorough",
    "warm, plain-spoken",
    "precise and efficient",
]
# Every agent follows these (blueprints act on them and the judges enforce them) ...
POLICIES = [
    "Look a record up before acting on it.",
    "Never guess an id: ask the user or find it with a tool.",
    "Before any change (creating, updating, cancelling or removing anything), say what you will do "
    "and wait for the user's yes.",
]
# ... and one of these.
STYLE_POLICIES = [
    "When a tool fails, explain what happened and retry or offer an alternative.",
    "Only state facts that come from the user or from tool results.",
    "Keep answers short and quote the exact values the tools return.",
]


class AgentGenConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(default=8, ge=1)
    min_tools: int = Field(default=3, ge=1)
    max_tools: int = Field(default=8, ge=1)
    seed: int = 0


class AgentPrompt(BaseModel):
    """What the synthesizer model writes for one agent."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="a short name for the assistant, e.g. 'Orders Desk'")
    persona: str = Field(description="who the assistant is and whom it serves, one sentence")
    system_prompt: str = Field(description="the full system prompt: role, policies and constraints, style")


def _domain(tools: Sequence[ToolSpec]) -> str:
    names = [t.domain or t.origin or t.source for t in tools]
    return Counter(names).most_common(1)[0][0] if names else ""


def _area(domain: str) -> str:
    return (domain or "general").split("/")[-1].split(":")[-1].replace("_", " ")


def template_prompt(tools: Sequence[ToolSpec], domain: str, rng: random.Random) -> AgentPrompt:
    # Every area the tools come from, the main one first: a library assistant holding ticket
    # tools says it does tickets too, so its prompt never contradicts what it is asked to do.
    areas = [_area(domain)]
    for d, _ in Counter(t.domain or t.origin or t.source for t in tools).most_common():
        if _area(d) not in areas:
            areas.append(_area(d))
    area = " and ".join(areas)
    style = rng.choice(STYLES)
    rules = [*POLICIES, rng.choice(STYLE_POLICIES)]
    abilities = "\n".join(f"- {t.name}: {(t.description or '').split('. ')[0]}" for t in tools)
    name = " & ".join(a.title() for a in areas) + " Assistant"
    prompt = (
        f"You are {name}, an assistant for {area} tasks. You act only through your tools:\n{abilities}\n\n"
        "Policies:\n" + "\n".join(f"- {r}" for r in rules) + f"\n\nStyle: {style}."
    )
    return AgentPrompt(name=name, persona=f"an assistant for {area} tasks, {style}", system_prompt=prompt)


def _synth_messages(tools: Sequence[ToolSpec], domain: str, seed: int) -> list[dict[str, str]]:
    listing = "\n".join(f"- {t.name}: {t.description}" for t in tools)
    return [
        {
            "role": "system",
            "content": "You design AI assistants. Given a set of tools, write the assistant that uses "
            "them: a name, a one-line persona, and a system prompt stating its role, the policies "
            "and constraints it follows, and its communication style. The prompt must fit the tools; "
            "do not promise abilities the tools lack.",
        },
        {"role": "user", "content": f"Domain: {domain}\nVariation seed: {seed}\nTools:\n{listing}"},
    ]


async def generate_agents(
    store: Store,
    tools: Sequence[ToolSpec],
    config: AgentGenConfig,
    llm: Any = None,
    synthesizer_cfg: Any = None,
    graph: ToolGraph | None = None,
) -> list[Agent]:
    """`config.count` agents, seeds `config.seed`..; stored, and reused when already stored.
    With `llm` and `synthesizer_cfg` (an LLMConfig) the model writes each system prompt; a failed
    write (stored by the LLM layer) falls back to the template, noted in the agent's metadata."""
    if config.min_tools > config.max_tools:
        raise ValueError(f"min_tools ({config.min_tools}) must not exceed max_tools ({config.max_tools})")
    graph = graph or ToolGraph.build(list(tools))
    agents: list[Agent] = []
    for i in range(config.count):
        seed = config.seed + i
        toolset = graph.sample_toolset(seed, config.min_tools, config.max_tools)
        domain = _domain(toolset)
        rng = random.Random(seed)
        probe = Agent(
            name="",
            system_prompt="",
            tool_ids=[t.id for t in toolset],
            tool_names=[],
            domain=domain,
            seed=seed,
        )
        found = store.get(Agent, probe.id)
        if found is not None:
            agents.append(found)
            continue
        source, metadata = "template", {}
        prompt = template_prompt(toolset, domain, rng)
        if llm is not None and synthesizer_cfg is not None:
            try:
                prompt = await llm.structured(
                    synthesizer_cfg,
                    _synth_messages(toolset, domain, seed),
                    AgentPrompt,
                    role="synthesizer",
                    cache_salt=str(seed),
                    item_id=probe.id,
                )
                source = synthesizer_cfg.model
            except StructuredOutputError:
                metadata["prompt_error"] = "structured output failed; template prompt used"
        agent = Agent(
            name=prompt.name,
            system_prompt=prompt.system_prompt,
            tool_ids=[t.id for t in toolset],
            tool_names=[t.name for t in toolset],
            domain=domain,
            persona=prompt.persona,
            seed=seed,
            source=source,
            metadata=metadata,
        )
        store.put([agent])
        agents.append(agent)
    return agents
