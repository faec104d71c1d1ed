"""Whole episodes through the loopback LLM server: the agent (native tool calls), the user
simulator and the world-model tool simulator all answer over real HTTP through litellm, scripted
per role by a responder that reads each request."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest

from environments.episodes.config import Limits, OutcomeMix, RolloutConfig
from environments.episodes.environment import ExecutorSet, ToolEnvironment
from environments.episodes.executors.world_model import WorldModelSimulator
from environments.episodes.parallel import run_episodes
from toolforge.core.llm import Budget, LLMClient, LLMConfig, RolesConfig
from toolforge.core.store import Store
from toolforge.core.types import Agent, Rubric, Task, ToolCall, ToolSpec, Trajectory, UserGoal
from toolforge_testing.llm_server import Reply, Request, TestServer


def _format_name(req: Request) -> str | None:
    rf = req.body.get("response_format") or {}
    return (rf.get("json_schema") or {}).get("name")


def scripted(req: Request) -> Reply | None:
    """One helpdesk conversation: ask, create, read back, report; the user answers, then stops."""
    messages: list[dict[str, Any]] = req.body["messages"]
    last = messages[-1]
    name = _format_name(req)
    if name == "SimulatedCall":
        system, payload = messages[0]["content"], json.loads(messages[1]["content"])
        if "Outcome to render: ERROR" in system:
            return Reply.json({"result": None, "error": "Rate limit hit on the ticket service; retry in 1s"})
        if payload["tool"]["name"] == "create_ticket":
            record = {**payload["call"], "status": "open"}
            return Reply.json(
                {
                    "result": {"id": "T-1", **record},
                    "upserts": [{"collection": "tickets", "id": "T-1", "record": record}],
                }
            )
        # an inconsistent answer on purpose: the stored record must win
        return Reply.json(
            {"result": {"id": payload["call"].get("ticket_id"), "title": "WRONG", "status": "closed"}}
        )
    if name == "UserReply":
        if "?" in last["content"]:
            return Reply.json({"message": "Title: printer jam. Priority: high.", "stop": False})
        return Reply.json({"message": "Great, thanks!", "stop": True})
    if "tools" in req.body:  # the agent
        if last["role"] == "user" and len([m for m in messages if m["role"] == "user"]) == 1:
            return Reply.text("Sure. What title and priority should the ticket have?")
        if last["role"] == "user":
            return Reply.calls(("create_ticket", {"title": "printer jam", "priority": "high"}))
        if last["role"] == "tool" and last.get("name") == "create_ticket":
            if "Rate limit" in last["content"]:
                return Reply.text("The ticket service is busy; I could not create it.")
            created = json.loads(last["content"])
            return Reply.calls(("get_ticket", {"ticket_id": created["id"]}))
        if last["role"] == "tool":
            ticket = json.loads(last["content"])
            return Reply.text(f"Done: ticket {ticket['id']} '{ticket['title']}' is {ticket['status']}.")
    return None


def _episode(tools: list[ToolSpec]) -> tuple[Agent, Task]:
    agent = Agent(
        name="Helpdesk",
        system_prompt="You are a helpdesk assistant.",
        tool_ids=[t.id for t in tools],
        tool_names=[t.name for t in tools],
    )
    task = Task(
        agent_id=agent.id,
        user_goal=UserGoal(
            description="Open a high-priority ticket about the printer jam",
            known_facts={"title": "printer jam", "priority": "high"},
            opening_message="I need a support ticket.",
        ),
        difficulty="clarification",
        rubric=Rubric(success_criteria=["a high-priority ticket 'printer jam' exists"]),
        source="template",
    )
    return agent, task


def _roles(server: TestServer) -> RolesConfig:
    cfg = LLMConfig(model="openai/test", api_base=server.url, max_retries=0)
    return RolesConfig(agent=cfg, user=cfg, tool_simulator=cfg)


def _config(mix: OutcomeMix) -> RolloutConfig:
    return RolloutConfig(
        policy="llm",
        user="llm",
        simulator="world_model",
        outcomes=mix,
        models={"agent": "openai/test", "user": "openai/test", "tool_simulator": "openai/test"},
    )


async def test_scripted_episode_agent_user_and_world_model(
    sqlite_store: Store, tickets: list[ToolSpec], llm_server: TestServer
) -> None:
    llm_server.responder = scripted
    agent, task = _episode(tickets)
    config = _config(OutcomeMix(ok=1.0, partial=0.0, error=0.0, edge=0.0))
    summary = await run_episodes(sqlite_store, [task], [agent], tickets, config, roles=_roles(llm_server))
    assert summary.end_reasons == {"user_stop": 1}
    (traj,) = sqlite_store.list(Trajectory)
    roles = [m.role for m in traj.messages]
    assert roles == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    assert traj.messages[3].content == "Title: printer jam. Priority: high."
    read_back = json.loads(traj.messages[7].content)
    # consistency: the entity created by the first call is what the later read returns
    assert read_back["id"] == "T-1" and read_back["title"] == "printer jam" and read_back["status"] == "open"
    assert traj.final_state["tickets"]["T-1"]["priority"] == "high"
    assert traj.messages[-2].content == "Done: ticket T-1 'printer jam' is open."
    assert traj.metadata["outcomes"] == ["ok", "ok"]
    assert traj.models == {"agent": "openai/test", "user": "openai/test", "tool_simulator": "openai/test"}
    assert traj.usage.calls == 8 and traj.usage.prompt_tokens > 0 and traj.usage.completion_tokens > 0
    assert {t["function"]["name"] for t in traj.tools} == {t.name for t in tickets}
    # the user model never saw tool traffic; the agent saw the tools natively
    user_requests = [r for r in llm_server.requests if _format_name(r) == "UserReply"]
    assert all(m["role"] != "tool" for r in user_requests for m in r.body["messages"])
    # a re-run is resumed from the store: no new model calls
    before = len(llm_server.requests)
    again = await run_episodes(sqlite_store, [task], [agent], tickets, config, roles=_roles(llm_server))
    assert again.ran == 0 and len(llm_server.requests) == before


async def test_injected_error_is_visible_to_the_agent(
    sqlite_store: Store, tickets: list[ToolSpec], llm_server: TestServer
) -> None:
    llm_server.responder = scripted
    agent, task = _episode(tickets)
    config = _config(OutcomeMix(ok=0.0, partial=0.0, error=1.0, edge=0.0))
    await run_episodes(sqlite_store, [task], [agent], tickets, config, roles=_roles(llm_server))
    (traj,) = sqlite_store.list(Trajectory)
    tool_msg = next(m for m in traj.messages if m.role == "tool")
    assert tool_msg.is_error and "Rate limit hit" in tool_msg.content
    assert traj.final_state == {}  # an error outcome changes nothing
    after = [r for r in llm_server.requests if "tools" in r.body and r.body["messages"][-1]["role"] == "tool"]
    assert after and "Rate limit hit" in after[-1].body["messages"][-1]["content"]
    assert traj.messages[-2].content == "The ticket service is busy; I could not create it."


@pytest.mark.slow
async def test_outcome_classes_follow_the_configured_mix(
    tickets: list[ToolSpec], llm_server: TestServer
) -> None:
    """1,000 simulated calls (schema-valid model answers from the server): the drawn outcome
    classes match the configured probabilities within 3 points."""
    mix = OutcomeMix(ok=0.55, partial=0.2, error=0.15, edge=0.1)
    listing = next(t for t in tickets if t.name == "list_tickets")
    async with LLMClient(None) as llm:
        cfg = LLMConfig(model="openai/test", api_base=llm_server.url, max_retries=0, concurrency=64)
        executors = ExecutorSet(simulator=WorldModelSimulator(llm, cfg, mix))
        envs = [ToolEnvironment([listing], executors, {}, f"episode-{i}") for i in range(40)]

        async def run(env: ToolEnvironment) -> None:
            for j in range(25):
                await env.call(ToolCall.make(f"c{j}", "list_tickets", {}))

        await asyncio.gather(*(run(env) for env in envs))
    counts = Counter(o for env in envs for o in env.outcomes)
    assert sum(counts.values()) == 1000
    for name, p in mix.as_dict().items():
        assert abs(counts[name] / 1000 - p) <= 0.03, (name, counts)
    errors = sum(1 for env in envs for h in env.ctx.history if h.is_error)
    assert errors == counts["error"]


async def test_wall_time_and_budget_end_the_episode(
    sqlite_store: Store, tickets: list[ToolSpec], llm_server: TestServer
) -> None:
    agent, task = _episode(tickets)
    slow = _config(OutcomeMix()).model_copy(update={"limits": Limits(max_wall_s=0.3)})
    llm_server.enqueue(Reply.hang(3.0))
    summary = await run_episodes(sqlite_store, [task], [agent], tickets, slow, roles=_roles(llm_server))
    assert summary.end_reasons == {"timeout": 1}
    llm_server.responder = scripted
    tight = _config(OutcomeMix()).model_copy(update={"limits": Limits(max_tokens=40)})
    summary = await run_episodes(sqlite_store, [task], [agent], tickets, tight, roles=_roles(llm_server))
    assert summary.end_reasons == {"max_tokens": 1}
    spent = _config(OutcomeMix()).model_copy(update={"limits": Limits(max_turns=5)})
    summary = await run_episodes(
        sqlite_store, [task], [agent], tickets, spent, roles=_roles(llm_server), budget=Budget(max_tokens=1)
    )
    assert summary.end_reasons == {"budget": 1}
    traj = next(t for t in sqlite_store.list(Trajectory) if t.end_reason == "budget")
    assert "budget" in traj.error
