"""Multi-call tasks on the real example servers' seeded worlds: every chain is one task (the
chain rule holds), update goals say what changes, episodes of them are accepted by the judges;
and the demo's toolsets, which once met no domain error, now draw mostly domain recoveries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from environments.episodes.config import RolloutConfig
from environments.episodes.executors.semantics import semantics
from environments.episodes.parallel import run_episodes
from environments.episodes.worlds import world_servers
from environments.tasking.recoveries import PATTERNS
from environments.tasking.tasks import TaskGenConfig, generate_tasks
from judges import Judge, JudgeConfig
from toolforge.core.call_links import Call, chain_problems
from toolforge.core.store import Store
from toolforge.core.types import Agent, Task, ToolSpec, Trajectory
from toolforge.tools.harvest import harvest
from toolforge.tools.library import load_tools
from toolforge.tools.servers import load_servers

REPO = Path(__file__).resolve().parents[3]
SERVERS = REPO / "examples" / "mcp_servers" / "servers.json"
PROMPT = (
    "You help users. Before any change, say what you will do and wait for the user's yes; never guess ids."
)


@pytest.fixture
async def served_tools(sqlite_store: Store) -> list[ToolSpec]:
    reports = await harvest(sqlite_store, load_servers(SERVERS))
    assert all(r.ok for r in reports), [r.error for r in reports]
    return list(load_tools(sqlite_store))


def _agents(store: Store, tools: list[ToolSpec], toolsets: list[list[str]]) -> list[Agent]:
    by_name = {t.name: t for t in tools}
    agents = [
        Agent(
            name=f"desk {i}",
            system_prompt=PROMPT,
            tool_ids=[by_name[n].id for n in names],
            tool_names=sorted(names),
            domain=by_name[names[0]].origin,
            seed=i,
        )
        for i, names in enumerate(toolsets)
    ]
    store.put(agents)
    return agents


def _calls(task: Task) -> list[Call]:
    assert task.blueprint is not None
    out = []
    for action, result in zip(task.blueprint.actions, task.blueprint.expected_results, strict=True):
        failed = isinstance(result, dict) and set(result) == {"error"}
        out.append(Call(action.name, action.arguments, None if failed else result, failed))
    return out


@pytest.mark.slow
async def test_multi_call_chains_are_one_task_and_their_episodes_are_accepted(
    sqlite_store: Store, served_tools: list[ToolSpec]
) -> None:
    toolsets = [
        ["find_free_slots", "create_event", "update_event", "get_event", "list_calendars"],
        ["get_note", "update_note", "search_notes", "tag_note"],
        ["get_order", "ship_order", "list_orders", "get_customer", "view_cart"],
    ]
    agents = _agents(sqlite_store, served_tools, toolsets)
    servers = world_servers(load_servers(SERVERS))
    config = TaskGenConfig(difficulties=["multi_call"], per_difficulty=3, mcp_servers=servers)
    tasks = await generate_tasks(sqlite_store, agents, served_tools, config)
    assert len(tasks) >= 7, [t.metadata.get("chain") for t in tasks]
    by_name = {t.name: t for t in served_tools}
    for task in tasks:
        assert len(task.blueprint.actions) >= 2
        assert chain_problems(_calls(task), strict=True) == [], task.metadata["chain"]
        for action in task.blueprint.actions:
            if semantics(by_name[action.name]).effect == "update":  # the goal says what changes
                goal = task.user_goal.description.split(". You know")[0]
                assert not re.search(r"\bupdate (?:an? |the )?(?:event|note)\b", goal), goal
                assert re.search(r"\b(?:move|rename|change|replace)\b", goal), goal
    await run_episodes(sqlite_store, tasks, agents, served_tools, RolloutConfig(mcp_servers=servers))
    judge = Judge(JudgeConfig(rubric={"enabled": False}, required=["rules", "grounding", "state"]))
    trajectories = sqlite_store.list(Trajectory)
    assert len(trajectories) == len(tasks)
    tasks_by_id = {t.id: t for t in tasks}
    for traj in trajectories:
        verdict = await judge.judge(traj, tasks_by_id[traj.task_id])
        assert verdict.accepted, [c.reason for c in verdict.checks if not c.passed]


@pytest.mark.slow
async def test_the_demo_toolsets_draw_domain_recoveries(
    sqlite_store: Store, served_tools: list[ToolSpec]
) -> None:
    # toolsets of the offline demo's agents whose recovery tasks were all a 503 or a wrong id
    toolsets = [
        ["place_order", "list_orders", "get_order", "ship_order", "view_cart"],
        ["list_calendars", "find_free_slots", "remove_attendee", "update_event"],
        ["get_note", "create_note", "search_notes", "delete_note"],
        ["tag_note", "get_note", "move_file", "read_file"],
    ]
    agents = _agents(sqlite_store, served_tools, toolsets)
    servers = world_servers(load_servers(SERVERS))
    config = TaskGenConfig(difficulties=["recovery"], per_difficulty=3, mcp_servers=servers)
    tasks = await generate_tasks(sqlite_store, agents, served_tools, config)
    kinds = [(t.metadata.get("recovery") or {}).get("kind") for t in tasks]
    domain = [k for k in kinds if k in PATTERNS]
    assert len(domain) * 2 > len(tasks), kinds
    assert {agent.id for agent in agents} == {t.agent_id for t in tasks if t.metadata.get("recovery")}
    for task in tasks:
        assert chain_problems(_calls(task)) == [], task.metadata["chain"]
