"""The episode runner offline: blueprint policy, template user, schema simulator and toolkit."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from environments.episodes.config import Limits, MCPServerConfig, RolloutConfig
from environments.episodes.parallel import run_episodes
from environments.episodes.toolkit import Toolkit
from environments.tasking.agents import AgentGenConfig, generate_agents
from environments.tasking.blueprints import replay_blueprint
from environments.tasking.tasks import TaskGenConfig, generate_tasks
from toolforge.core.store import Store, TrajectoryRow
from toolforge.core.types import (
    Agent,
    Blueprint,
    ExpectedCall,
    Rubric,
    Task,
    ToolSpec,
    Trajectory,
    UserGoal,
    trajectory_id,
)


async def _world(
    store: Store, tools: list[ToolSpec], shop_ref: str, count: int = 3
) -> tuple[list[Agent], list[Task]]:
    agents = await generate_agents(store, tools, AgentGenConfig(count=count, min_tools=3, max_tools=6))
    tasks = await generate_tasks(store, agents, tools, TaskGenConfig(toolkits=[shop_ref]))
    return agents, tasks


async def test_blueprint_episodes_end_well_and_match_their_blueprints(
    sqlite_store: Store, tickets: list[ToolSpec], shop: type[Toolkit], shop_ref: str
) -> None:
    tools = tickets + shop.specs()
    agents, tasks = await _world(sqlite_store, tools, shop_ref)
    config = RolloutConfig(toolkits=[shop_ref], max_in_flight=8)
    summary = await run_episodes(sqlite_store, tasks, agents, tools, config, attempts=2)
    assert summary.ran == summary.requested == 2 * len(tasks)
    assert summary.end_reasons == {"user_stop": summary.ran}
    by_task = {t.id: t for t in tasks}
    trajectories = sqlite_store.list(Trajectory)
    assert len(trajectories) == summary.ran
    for traj in trajectories:
        task = by_task[traj.task_id]
        assert traj.id == trajectory_id(task.id, traj.attempt, config.run_key())
        assert traj.final_state == (await replay_blueprint(task, tools, [shop])).end_state
        assert [m.role for m in traj.messages[:2]] == ["system", "user"]
        assert traj.messages[-1].role == "user"  # the explicit stop
        calls = [c.name for _, c in traj.tool_calls]
        assert calls == [a.name for a in task.blueprint.actions]
        for i, m in enumerate(traj.messages):  # every call answered right after its turn
            if m.role == "assistant" and m.tool_calls:
                answers = traj.messages[i + 1 : i + 1 + len(m.tool_calls)]
                assert [a.tool_call_id for a in answers] == [c.id for c in m.tool_calls]
        assert {t["function"]["name"] for t in traj.tools} == set(
            by_task[traj.task_id] and agents_tools(agents, task)
        )
        if task.difficulty == "clarification":
            assert "?" in traj.messages[2].content and not traj.messages[2].tool_calls
            revealed = traj.messages[3].content
            assert all(
                str(task.user_goal.known_facts[k]) in revealed for k in task.metadata["withheld_facts"]
            )
        if task.difficulty == "recovery":
            first = next(m for m in traj.messages if m.role == "tool")
            assert first.is_error
    # a re-run of the same config does nothing and duplicates nothing
    again = await run_episodes(sqlite_store, tasks, agents, tools, config, attempts=2)
    assert again.ran == 0 and again.already_done == summary.requested
    assert sqlite_store.count(TrajectoryRow) == summary.ran
    # one more attempt runs only the new ones
    more = await run_episodes(sqlite_store, tasks, agents, tools, config, attempts=3)
    assert more.ran == len(tasks) and sqlite_store.count(TrajectoryRow) == 3 * len(tasks)


async def test_a_resumed_run_replays_exactly_the_trajectory_deleted_from_the_store(
    sqlite_store: Store, tickets: list[ToolSpec], shop: type[Toolkit], shop_ref: str
) -> None:
    tools = tickets + shop.specs()
    agents, tasks = await _world(sqlite_store, tools, shop_ref, count=2)
    config = RolloutConfig(toolkits=[shop_ref], max_in_flight=4)
    await run_episodes(sqlite_store, tasks, agents, tools, config, attempts=2)
    before = {t.id: t for t in sqlite_store.list(Trajectory)}
    gone = sorted(before)[len(before) // 2]
    with Session(sqlite_store.engine) as session:  # lost behind the run's back: no id recomputed finds it
        session.delete(session.get(TrajectoryRow, gone))
        session.commit()
    again = await run_episodes(sqlite_store, tasks, agents, tools, config, attempts=2)
    assert again.ran == 1 and again.already_done == again.requested - 1
    assert sqlite_store.ids(Trajectory) == set(before)  # the one made again is the one deleted
    replayed = sqlite_store.get(Trajectory, gone)
    assert replayed is not None
    assert replayed.model_dump(exclude={"wall_time_s"}) == before[gone].model_dump(exclude={"wall_time_s"})


def agents_tools(agents: list[Agent], task: Task) -> set[str]:
    return set(next(a for a in agents if a.id == task.agent_id).tool_names)


async def test_limits_end_episodes(
    sqlite_store: Store, tickets: list[ToolSpec], shop: type[Toolkit], shop_ref: str
) -> None:
    tools = tickets + shop.specs()
    agents, tasks = await _world(sqlite_store, tools, shop_ref)
    multi = [t for t in tasks if t.difficulty == "multi_call"]
    one_turn = RolloutConfig(toolkits=[shop_ref], limits=Limits(max_turns=1))
    s = await run_episodes(sqlite_store, multi, agents, tools, one_turn)
    assert s.end_reasons == {"max_turns": len(multi)}
    no_calls = RolloutConfig(toolkits=[shop_ref], limits=Limits(max_tool_calls=1))
    s = await run_episodes(sqlite_store, multi, agents, tools, no_calls)
    assert s.end_reasons == {"max_tool_calls": len(multi)}
    for traj in sqlite_store.list(Trajectory, end_reason="max_tool_calls"):
        assert len(traj.tool_calls) == 1  # the call over the limit is not kept unanswered
        # the agent's turns: those kept (a confirmation question before a write among them) and the
        # one whose call went over the limit
        kept = sum(m.role == "assistant" for m in traj.messages)
        assert traj.metadata["turns"] == kept + 1


async def test_infra_failure_ends_the_attempt_with_a_stored_reason(sqlite_store: Store) -> None:
    ghost = ToolSpec(
        name="ping",
        description="Ping the server.",
        input_schema={"type": "object", "properties": {}},
        source="mcp",
        origin="ghost",
    )
    agent = Agent(name="a", system_prompt="You ping.", tool_ids=[ghost.id], tool_names=["ping"], seed=0)
    task = Task(
        agent_id=agent.id,
        user_goal=UserGoal(description="ping", opening_message="Please ping."),
        difficulty="single_call",
        rubric=Rubric(success_criteria=["pinged"]),
        blueprint=Blueprint(actions=[ExpectedCall(name="ping")]),
    )
    config = RolloutConfig(mcp_servers={"ghost": MCPServerConfig(command="/nonexistent/mcp-server")})
    summary = await run_episodes(sqlite_store, [task], [agent], [ghost], config)
    assert summary.end_reasons == {"infra_error": 1}
    (traj,) = sqlite_store.list(Trajectory)
    assert traj.end_reason == "infra_error" and "did not start" in traj.error
    assert json.loads(traj.messages[-1].tool_calls[0].function.arguments) == {}


async def test_toolkit_tools_without_their_toolkit_fail_before_any_episode(
    sqlite_store: Store, shop: type[Toolkit], shop_ref: str
) -> None:
    tools = shop.specs()
    agents, tasks = await _world(sqlite_store, tools, shop_ref, count=1)
    with pytest.raises(ValueError, match="--toolkit"):
        await run_episodes(sqlite_store, tasks, agents, tools, RolloutConfig())
    assert sqlite_store.list(Trajectory) == []
