"""One short episode with the bundled SmolLM2 model (json tool mode) as the agent, the template
user and the schema simulator; the structure of what it produced is asserted, not its quality."""

from __future__ import annotations

import pytest

from environments.episodes.config import Limits, RolloutConfig
from environments.episodes.parallel import run_episodes
from toolforge.core.llm import LLMConfig, RolesConfig
from toolforge.core.store import Store
from toolforge.core.types import Agent, Rubric, Task, ToolSpec, Trajectory, UserGoal


@pytest.mark.local_model
async def test_short_episode_with_the_bundled_model(sqlite_store: Store, tickets: list[ToolSpec]) -> None:
    tools = [t for t in tickets if t.name == "get_ticket"]  # one small schema keeps decoding fast
    agent = Agent(
        name="Helpdesk",
        system_prompt="You are a helpdesk assistant. Use the tools to open and look up tickets.",
        tool_ids=[t.id for t in tools],
        tool_names=[t.name for t in tools],
    )
    task = Task(
        agent_id=agent.id,
        user_goal=UserGoal(
            description="Find out the status of ticket ticket_0001",
            known_facts={"ticket_id": "ticket_0001"},
            opening_message="What is the status of ticket ticket_0001?",
        ),
        difficulty="single_call",
        rubric=Rubric(success_criteria=["the agent reports the ticket's status"]),
        initial_state={
            "tickets": {"ticket_0001": {"id": "ticket_0001", "title": "printer jam", "status": "open"}}
        },
        source="template",
    )
    local = LLMConfig(model="local/smollm2", max_tokens=96, timeout_s=120)
    config = RolloutConfig(
        policy="llm",
        limits=Limits(max_turns=2, max_tool_calls=4, max_wall_s=280),
        models={"agent": local.model},
    )
    summary = await run_episodes(sqlite_store, [task], [agent], tools, config, roles=RolesConfig(agent=local))
    assert summary.ran == 1
    (traj,) = sqlite_store.list(Trajectory)
    assert traj.end_reason in ("user_stop", "agent_stop", "max_turns", "max_tool_calls"), traj.error
    assert traj.metadata["turns"] >= 1
    assert [m.role for m in traj.messages[:2]] == ["system", "user"]
    assert traj.usage.calls >= 1 and traj.usage.prompt_tokens > 0
    offered = {t.name for t in tools}
    for i, m in enumerate(traj.messages):
        if m.role == "assistant":
            assert m.content or m.tool_calls
            for call in m.tool_calls or []:
                assert call.name in offered  # json mode constrains the call to the offered tools
            answers = traj.messages[i + 1 : i + 1 + len(m.tool_calls or [])]
            assert [a.tool_call_id for a in answers] == [c.id for c in m.tool_calls or []]
    assert 2 < len(traj.messages) <= 2 + 2 + 4 + 1
    assert traj.models == {"agent": "local/smollm2"}
