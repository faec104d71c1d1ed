"""Agents and rubric tasks: connected toolsets, every difficulty, blueprints that replay."""

from __future__ import annotations

import random

import networkx as nx

from environments.episodes.toolkit import Toolkit
from environments.tasking.agents import AgentGenConfig, generate_agents, template_prompt
from environments.tasking.blueprints import replay_blueprint
from environments.tasking.tasks import BLUEPRINT_DIFFICULTIES, TaskGenConfig, generate_tasks
from toolforge.core.store import Store
from toolforge.core.types import Agent, Task, ToolSpec
from toolforge.tools.graph import ToolGraph


async def test_agents_are_connected_seeded_and_stored(sqlite_store: Store, tickets: list[ToolSpec]) -> None:
    config = AgentGenConfig(count=3, min_tools=3, max_tools=5, seed=7)
    agents = await generate_agents(sqlite_store, tickets, config)
    again = await generate_agents(sqlite_store, tickets, config)
    assert [a.id for a in agents] == [a.id for a in again]
    assert sqlite_store.ids(Agent) == {a.id for a in agents}
    graph = ToolGraph.build(tickets)
    for agent in agents:
        assert 3 <= len(agent.tool_names) <= 5 and agent.source == "template"
        assert all(name in agent.system_prompt for name in agent.tool_names)
        sub = graph.graph.subgraph(agent.tool_ids)
        assert nx.is_weakly_connected(sub)


def test_a_template_prompt_names_every_area_its_tools_come_from(tickets: list[ToolSpec]) -> None:
    notes = [t.model_copy(update={"domain": "workspace", "name": f"note_{t.name}"}) for t in tickets[:1]]
    mixed = [t.model_copy(update={"domain": "helpdesk"}) for t in tickets[:3]] + notes
    prompt = template_prompt(mixed, "helpdesk", random.Random(0))
    assert prompt.name == "Helpdesk & Workspace Assistant"
    assert "an assistant for helpdesk and workspace tasks" in prompt.system_prompt
    alone = template_prompt(mixed[:3], "helpdesk", random.Random(0))
    assert alone.name == "Helpdesk Assistant" and "workspace" not in alone.system_prompt


async def test_tasks_cover_difficulties_and_blueprints_replay(
    sqlite_store: Store, tickets: list[ToolSpec], shop: type[Toolkit], shop_ref: str
) -> None:
    tools = tickets + shop.specs()
    agents = await generate_agents(sqlite_store, tools, AgentGenConfig(count=4, min_tools=3, max_tools=6))
    config = TaskGenConfig(per_difficulty=2, toolkits=[shop_ref])
    tasks = await generate_tasks(sqlite_store, agents, tools, config)
    assert {t.difficulty for t in tasks} == set(BLUEPRINT_DIFFICULTIES)
    assert sqlite_store.ids(Task) == {t.id for t in tasks}
    for task in tasks:
        bp = task.blueprint
        assert bp is not None and bp.actions and task.rubric.success_criteria and task.rubric.checkpoints
        assert [c.name for c in task.rubric.expected_tool_pattern] == [a.name for a in bp.actions]
        replay = await replay_blueprint(task, tools, [shop])
        assert replay.end_state == bp.expected_end_state, task.id
        if task.difficulty == "multi_call":
            assert len(bp.actions) >= 2
        if task.difficulty == "clarification":
            withheld = task.metadata["withheld_facts"]
            assert withheld and set(withheld) <= set(task.user_goal.known_facts)
            for key in withheld:
                value = task.user_goal.known_facts[key]
                assert str(value) not in task.user_goal.opening_message
        if task.difficulty == "recovery":
            assert replay.errors.count(True) == 1  # one failed call, and the call after it succeeds
            i = replay.errors.index(True)
            assert not replay.errors[i + 1] and bp.actions[i].name == bp.actions[i + 1].name
            if task.metadata["mistaken_facts"]:  # a wrong id the user gave, then the right one
                ((key, wrong),) = task.metadata["mistaken_facts"].items()
                assert bp.actions[i].arguments[key] == wrong != bp.actions[i + 1].arguments[key]
                assert "_faults" not in task.initial_state
            else:  # a transient failure of the first call, then the same call again
                assert i == 0 and bp.actions[0] == bp.actions[1]
                assert task.initial_state["_faults"][0]["tool"] == bp.actions[0].name
        else:
            assert not any(replay.errors)
    # dependent calls: some later call takes a value an earlier call returned
    dependent = 0
    for task in tasks:
        results = [
            str(v)
            for r in task.blueprint.expected_results
            for v in (r.values() if isinstance(r, dict) else [])
        ]
        later = [str(v) for a in task.blueprint.actions[1:] for v in a.arguments.values()]
        dependent += any(v in results for v in later)
    assert dependent > 0
    # resumable: the same config finds the stored tasks and makes nothing new
    again = await generate_tasks(sqlite_store, agents, tools, config)
    assert sorted(t.id for t in again) == sorted(t.id for t in tasks)
