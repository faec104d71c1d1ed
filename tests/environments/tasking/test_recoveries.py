"""Domain recoveries on the real example servers' seeded worlds: the world itself rejects the
first call (out of stock, slot taken, invalid date, not found by name), the blueprint recovers
with a different action (a proposal, a free-slot lookup, a question, a search), the replay on a
fresh copy reproduces the error and the end state, and the judges accept the episode."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from environments.episodes.config import RolloutConfig
from environments.episodes.executors.mcp_pool import MCPPool
from environments.episodes.executors.semantics import semantics
from environments.episodes.parallel import run_episodes
from environments.episodes.worlds import world_servers
from environments.tasking.blueprints import Built, Replayer, World, replay_blueprint, seed_state
from environments.tasking.recoveries import PATTERNS, applicable, build_recovery
from environments.tasking.recoveries_named import KIND as NAMED
from environments.tasking.recoveries_named import named_fix
from environments.tasking.tasks import TaskGenConfig, generate_tasks, incoherent, template_task
from judges import Judge, JudgeConfig
from toolforge.core.store import Store
from toolforge.core.types import Agent, Task, ToolSpec, Trajectory
from toolforge.tools.harvest import harvest
from toolforge.tools.library import load_tools
from toolforge.tools.servers import load_servers

REPO = Path(__file__).resolve().parents[3]
SERVERS = REPO / "examples" / "mcp_servers" / "servers.json"
SERVER_OF = {
    "out_of_stock": "shop",
    "not_found_by_name": "shop",
    "cannot_ship": "shop",
    "slot_taken": "agenda",
    "invalid_date": "agenda",
    "move_slot_taken": "agenda",
    "note_by_name": "workspace",
    "wrong_path": "workspace",
}
# What the world answers first, in its own words.
ERROR_OF = {
    "out_of_stock": "in stock",
    "not_found_by_name": "unknown product",
    "cannot_ship": "cannot move on",
    "slot_taken": "overlaps evt_",
    "invalid_date": "is not a valid date",
    "move_slot_taken": "overlaps evt_",
    "note_by_name": "unknown note",
    "wrong_path": "no file at",
}
# The first action after the error: a question or a proposal (no call), or a lookup.
LOOKUP_OF = {
    "not_found_by_name": "search_products",
    "cannot_ship": "get_order",
    "slot_taken": "find_free_slots",
    "move_slot_taken": "find_free_slots",
    "note_by_name": "search_notes",
}


@pytest.fixture
async def served_tools(sqlite_store: Store) -> list[ToolSpec]:
    servers = [s for s in load_servers(SERVERS) if s.name in ("shop", "agenda", "workspace")]
    reports = await harvest(sqlite_store, servers)
    assert all(r.ok for r in reports), [r.error for r in reports]
    return list(load_tools(sqlite_store))


def _agent(origin: str, tools: list[ToolSpec]) -> Agent:
    return Agent(
        name=f"{origin} desk",
        system_prompt="You help users. Confirm before changing anything; never guess ids.",
        tool_ids=[t.id for t in tools],
        tool_names=sorted(t.name for t in tools),
        domain=origin,
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(set(PATTERNS) - {NAMED}))
async def test_a_domain_error_from_the_world_is_recovered_with_a_different_action(
    sqlite_store: Store, served_tools: list[ToolSpec], kind: str
) -> None:
    origin = SERVER_OF[kind]
    tools = [t for t in served_tools if t.origin == origin]
    servers = {origin: world_servers(load_servers(SERVERS))[origin]}
    agent = _agent(origin, tools)
    sqlite_store.put([agent])
    async with MCPPool(servers) as pool:
        replayer = Replayer(mcp=pool)
        worlds = {origin: await pool.fresh_world(origin)}
        rng = random.Random(7)
        built = await build_recovery(
            kind, tools, seed_state(tools, rng, worlds=worlds), rng, replayer, World()
        )
        assert built is not None
        task = await _replays(built, agent, tools, pool, rng)
    assert ERROR_OF[kind] in built.steps[0].result["error"], built.steps[0].result
    traj = await _played_and_accepted(sqlite_store, task, agent, tools, servers)
    error = next(i for i, m in enumerate(traj.messages) if m.role == "tool" and m.is_error)
    after = traj.messages[error + 1]
    if kind not in LOOKUP_OF:  # a question or a proposal, no call
        assert not after.tool_calls and "?" in (after.content or "")
    else:  # a lookup first
        assert after.tool_calls and after.tool_calls[0].name == LOOKUP_OF[kind]


@pytest.mark.slow
async def test_an_error_that_names_its_way_out_is_recovered_by_that_write(sqlite_store: Store) -> None:
    """No pattern is written for the library's tools: its own errors ("no copy … is on the shelf;
    place_hold to join the queue") say what to do instead, and the recovery proposes that."""
    library = [s for s in load_servers(SERVERS) if s.name == "library"]
    assert all(r.ok for r in await harvest(sqlite_store, library))
    tools = list(load_tools(sqlite_store))
    servers = {"library": world_servers(library)["library"]}
    agent = _agent("library", tools)
    sqlite_store.put([agent])
    async with MCPPool(servers) as pool:
        replayer = Replayer(mcp=pool)
        worlds = {"library": await pool.fresh_world("library")}
        assert NAMED in applicable(tools, replayer)
        for seed in range(40):  # most draws are taken by the world, or refused with no way out
            rng = random.Random(seed)
            state = seed_state(tools, rng, worlds=worlds)
            if built := await build_recovery(NAMED, tools, state, rng, replayer, World()):
                break
        assert built is not None
        task = await _replays(built, agent, tools, pool, rng)
    refused, fix = built.steps[0], built.steps[1]
    assert fix.tool.name in refused.result["error"]  # the write the world itself named
    assert semantics(fix.tool).mutates and not fix.is_error
    traj = await _played_and_accepted(sqlite_store, task, agent, tools, servers)
    error = next(i for i, m in enumerate(traj.messages) if m.role == "tool" and m.is_error)
    proposal, made = traj.messages[error + 1], traj.messages[error + 3]
    said_fix = " ".join(fix.tool.name.split("_"))
    assert not proposal.tool_calls and (proposal.content or "").endswith("instead?"), proposal.content
    assert said_fix in (proposal.content or "")
    # the way out is proposed after the error, not planned before it; made as agreed, not as a retry
    assert all(said_fix not in (m.content or "") for m in traj.messages[:error] if m.role == "assistant")
    assert made.tool_calls and made.tool_calls[0].name == fix.tool.name
    assert "try once more" not in (made.content or ""), made.content


def test_the_named_way_out_is_a_write_to_make_instead_or_first_never_a_hint() -> None:
    writes = {n: ToolSpec(name=n, input_schema={"type": "object"}, source="mcp") for n in
              ("open_loan", "place_hold", "return_book", "pay_fine")}  # fmt: skip
    assert named_fix(
        "no copy of bk_1 is on the shelf; place_hold to join the queue", writes, "open_loan"
    ) == (
        "place_hold",
        False,
    )
    assert named_fix("2 fines are unpaid; pay_fine first", writes, "open_loan") == ("pay_fine", True)
    assert named_fix("renewed twice; return_book by 2026-03-20", writes, "renew_loan") is None
    assert named_fix("no copy on the shelf; open_loan instead", writes, "open_loan") is None  # itself


async def _replays(
    built: Built, agent: Agent, tools: list[ToolSpec], pool: MCPPool, rng: random.Random
) -> Task:
    """The recovery's task; its blueprint replayed on a fresh copy gives the error and end state."""
    task = template_task(agent, "recovery", 0, built, rng)
    replay = await replay_blueprint(task, tools, mcp=pool)
    assert built.steps[0].is_error
    # the way out is a different action: another call, not the same one again
    assert task.blueprint.actions[1] != task.blueprint.actions[0]
    assert replay.errors == [s.is_error for s in built.steps] and replay.errors[0]
    assert replay.end_state == task.blueprint.expected_end_state
    origin = agent.domain
    if semantics(built.steps[-1].tool).mutates:  # the way out wrote
        assert replay.end_state["_mcp"][origin] != task.initial_state["_mcp"][origin]
    assert incoherent(built) is None  # one task: the rules judge's chain rule holds
    return task


async def _played_and_accepted(
    store: Store, task: Task, agent: Agent, tools: list[ToolSpec], servers: dict[str, Any]
) -> Trajectory:
    """The episode of `task` follows its blueprint, the judges accept it and its final reply uses
    the last result."""
    store.put([task])
    await run_episodes(store, [task], [agent], tools, RolloutConfig(mcp_servers=servers))
    (traj,) = store.list(Trajectory)
    calls = [c.name for _, c in traj.tool_calls]
    assert calls == [a.name for a in task.blueprint.actions]
    error = next(i for i, m in enumerate(traj.messages) if m.role == "tool" and m.is_error)
    after = traj.messages[error + 1]
    assert after.role == "assistant" and (after.content or "")
    judge = Judge(JudgeConfig(rubric={"enabled": False}, required=["rules", "grounding", "state"]))
    verdict = await judge.judge(traj, task)
    assert verdict.accepted, [c.reason for c in verdict.checks if not c.passed]
    final = traj.messages[-2] if traj.messages[-1].role == "user" else traj.messages[-1]
    last_ok = traj.messages[max(i for i, m in enumerate(traj.messages) if m.role == "tool")]
    assert not last_ok.is_error
    assert any(v in final.content for v in _values(last_ok.content)), (final.content, last_ok.content)
    return traj


def _values(content: str | None) -> list[str]:
    import json

    out: list[str] = []

    def walk(v: object) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str) and len(v) > 3:
            out.append(v)

    walk(json.loads(content or "null"))
    return out


@pytest.mark.slow
async def test_recovery_tasks_draw_the_served_worlds_domain_errors(
    sqlite_store: Store, served_tools: list[ToolSpec]
) -> None:
    toolsets = [
        ["get_customer", "search_products", "add_to_cart", "view_cart"],
        ["list_calendars", "list_events", "create_event", "find_free_slots"],
    ]
    by_name = {t.name: t for t in served_tools}
    agents = [
        Agent(
            name=f"desk {i}",
            system_prompt="You help users. Confirm before changing anything; never guess ids.",
            tool_ids=[by_name[n].id for n in names],
            tool_names=sorted(names),
        )
        for i, names in enumerate(toolsets)
    ]
    sqlite_store.put(agents)
    servers = world_servers(load_servers(SERVERS))
    config = TaskGenConfig(
        difficulties=["recovery"], per_difficulty=4, mcp_servers={k: servers[k] for k in ("shop", "agenda")}
    )
    tasks = await generate_tasks(sqlite_store, agents, served_tools, config)
    kinds = {t.metadata["recovery"].get("kind") for t in tasks if t.metadata.get("recovery")}
    assert len(kinds & set(PATTERNS)) >= 2, [t.metadata.get("chain") for t in tasks]
    # the other kinds stay in the draw: a transient fault or a wrong id the user gave
    assert any(not t.metadata.get("recovery") for t in tasks)


@pytest.mark.slow
async def test_a_note_the_user_names_by_its_title_is_named_once(
    sqlite_store: Store, served_tools: list[ToolSpec]
) -> None:
    """Found by listing all notes (no search tool): the user said which note, and says it once."""
    tools = [t for t in served_tools if t.origin == "workspace" and t.name != "search_notes"]
    servers = {"workspace": world_servers(load_servers(SERVERS))["workspace"]}
    agent = _agent("workspace", tools)
    async with MCPPool(servers) as pool:
        replayer = Replayer(mcp=pool)
        worlds = {"workspace": await pool.fresh_world("workspace")}
        rng = random.Random(7)
        built = await build_recovery(
            "note_by_name", tools, seed_state(tools, rng, worlds=worlds), rng, replayer, World()
        )
    assert built is not None and built.steps[1].tool.name == "list_notes"
    title = built.recovery["told"]["note title"]
    opening = template_task(agent, "recovery", 0, built, rng).user_goal.opening_message
    assert opening.count(title) == 1, opening
