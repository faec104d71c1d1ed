"""Agents' system prompts and tasks' language written by a model (the loopback server), with the
programmatic blueprint kept; a writer that fails falls back to the template and says so."""

from __future__ import annotations

from environments.tasking.agents import AgentGenConfig, generate_agents
from environments.tasking.blueprints import replay_blueprint
from environments.tasking.tasks import TaskGenConfig, generate_tasks
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import FailureRow, Store
from toolforge.core.types import ToolSpec
from toolforge_testing.llm_server import Reply, TestServer


async def test_model_written_agents_and_tasks(
    sqlite_store: Store, tickets: list[ToolSpec], llm_server: TestServer
) -> None:
    cfg = LLMConfig(model="openai/writer", api_base=llm_server.url, max_retries=0)
    llm_server.enqueue(
        Reply.json(
            {"name": "Desk One", "persona": "a calm helpdesk lead", "system_prompt": "You are Desk One."}
        ),
        Reply.malformed(),
        Reply.malformed(),  # the second agent's writer fails twice (call + repair)
    )
    async with LLMClient(sqlite_store, run_id="w") as llm:
        agents = await generate_agents(
            sqlite_store, tickets, AgentGenConfig(count=2, min_tools=3, max_tools=5), llm, cfg
        )
        assert agents[0].system_prompt == "You are Desk One." and agents[0].source == "openai/writer"
        assert agents[1].source == "template" and "prompt_error" in agents[1].metadata
        config = TaskGenConfig(difficulties=["multi_call", "clarification"], writer="llm")
        tasks = await generate_tasks(sqlite_store, agents[:1], tickets, config, llm, cfg)
    assert sqlite_store.count(FailureRow) >= 1  # the failed write is a stored row
    assert len(tasks) == 2
    for task in tasks:
        assert task.source == "openai/writer"
        assert task.user_goal.opening_message and task.rubric.checkpoints
        assert task.blueprint is not None
        assert (await replay_blueprint(task, tickets)).end_state == task.blueprint.expected_end_state
    writer_requests = [
        r
        for r in llm_server.requests
        if (r.body.get("response_format") or {}).get("json_schema", {}).get("name") == "TaskText"
    ]
    assert len(writer_requests) == 2
    assert "withheld_from_opening" in writer_requests[0].body["messages"][1]["content"]


async def test_model_written_whole_tasks_get_a_blueprint_when_their_calls_run(
    sqlite_store: Store, tickets: list[ToolSpec], llm_server: TestServer
) -> None:
    cfg = LLMConfig(model="openai/writer", api_base=llm_server.url, max_retries=0)
    agents = await generate_agents(sqlite_store, tickets, AgentGenConfig(count=1, min_tools=6, max_tools=6))

    def draft(calls: list[dict], opening: str) -> Reply:
        return Reply.json(
            {
                "description": "Open an urgent ticket and check it",
                "persona": "an office manager",
                "style": "brisk",
                "known_facts": {"title": "printer jam"},
                "opening_message": opening,
                "expected_calls": calls,
                "success_criteria": ["a high-priority 'printer jam' ticket exists"],
                "checkpoints": ["creates the ticket", "reads it back"],
                "final_reply": "Ticket opened.",
            }
        )

    good = [
        {"name": "create_ticket", "arguments": {"title": "printer jam", "priority": "high"}},
        {"name": "get_ticket", "arguments": {"ticket_id": "ticket_0004"}},
    ]
    bad = [{"name": "create_ticket", "arguments": {"title": "printer jam", "priority": "urgent!"}}]
    llm_server.enqueue(
        draft(good, "Please open a high-priority ticket."), draft(bad, "Open a printer jam ticket.")
    )
    config = TaskGenConfig(difficulties=["clarification", "single_call"], writer="llm_free")
    async with LLMClient(sqlite_store, run_id="w") as llm:
        tasks = await generate_tasks(sqlite_store, agents, tickets, config, llm, cfg)
    clar, single = sorted(tasks, key=lambda t: t.difficulty)
    assert clar.difficulty == "clarification" and clar.metadata["withheld_facts"] == ["title"]
    assert clar.blueprint is not None and clar.source == "openai/writer"
    assert clar.blueprint.expected_end_state["tickets"]["ticket_0004"]["priority"] == "high"
    assert (await replay_blueprint(clar, tickets)).end_state == clar.blueprint.expected_end_state
    assert single.blueprint is None and "invalid arguments" in single.metadata["blueprint_error"]
    assert [c.name for c in single.rubric.expected_tool_pattern] == ["create_ticket"]
