"""Tasks sampled from, and episodes played on, fresh seeded copies of a real MCP server's world
(the example shop over stdio): ids that exist there, blueprints that replay to the same end state
on a fresh copy, users who never quote a tool description, and a state check that compares."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from environments.episodes.config import RolloutConfig
from environments.episodes.executors.mcp_pool import MCPPool
from environments.episodes.executors.semantics import semantics
from environments.episodes.parallel import run_episodes
from environments.episodes.worlds import world_servers
from environments.tasking.agents import AgentGenConfig, generate_agents
from environments.tasking.blueprints import replay_blueprint
from environments.tasking.tasks import TaskGenConfig, generate_tasks
from examples.mcp_servers import shop
from judges import Judge, JudgeConfig, StateConfig, check_state
from toolforge.core.errors import ConfigError
from toolforge.core.store import Store
from toolforge.core.types import ToolSpec, Trajectory
from toolforge.tools.harvest import harvest
from toolforge.tools.library import load_tools
from toolforge.tools.servers import load_servers, parse_servers

REPO = Path(__file__).resolve().parents[3]
SERVERS = REPO / "examples" / "mcp_servers" / "servers.json"


@pytest.fixture
async def shop_tools(sqlite_store: Store) -> list[ToolSpec]:
    servers = [s for s in load_servers(SERVERS) if s.name == "shop"]
    (report,) = await harvest(sqlite_store, servers)
    assert report.ok, report.error
    return [t for t in load_tools(sqlite_store) if t.origin == "shop"]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _pastes_description(text: str, tools: list[ToolSpec], run: int = 6) -> bool:
    said = " ".join(_words(text))
    for tool in tools:
        ws = _words(tool.description)
        if any(" ".join(ws[i : i + run]) in said for i in range(len(ws) - run + 1)):
            return True
    return False


@pytest.mark.slow
async def test_tasks_come_from_the_world_and_episodes_end_in_the_replayed_state(
    sqlite_store: Store, shop_tools: list[ToolSpec]
) -> None:
    worlds = world_servers(load_servers(SERVERS))
    agents = await generate_agents(
        sqlite_store, shop_tools, AgentGenConfig(count=2, min_tools=4, max_tools=6)
    )
    config = TaskGenConfig(
        difficulties=["single_call", "multi_call", "clarification"], mcp_servers={"shop": worlds["shop"]}
    )
    tasks = await generate_tasks(sqlite_store, agents, shop_tools, config)
    assert len(tasks) >= 4
    seed_ids = {rid for coll in shop.SEED.values() if isinstance(coll, dict) for rid in coll}
    by_name = {t.name: t for t in shop_tools}
    for task in tasks:
        assert task.blueprint is not None
        world = task.initial_state["_mcp"]["shop"]
        assert world["products"] == shop.SEED["products"]  # the server's own seeded world
        for action, source in zip(task.blueprint.actions, task.blueprint.expected_results, strict=True):
            for key, value in action.arguments.items():
                if key.endswith("_id"):  # an id the world has, or one a result of this chain gave
                    earlier = json.dumps(task.blueprint.expected_results)
                    assert value in seed_ids or value in earlier, (action.name, key, value)
            assert source is not None
        assert not _pastes_description(task.user_goal.opening_message, shop_tools), (
            task.user_goal.opening_message
        )
        async with MCPPool({"shop": worlds["shop"]}) as pool:
            replay = await replay_blueprint(task, shop_tools, mcp=pool)
        assert not any(replay.errors)
        assert replay.end_state == task.blueprint.expected_end_state, task.id
        writes = [a for a in task.blueprint.actions if semantics(by_name[a.name]).mutates]
        if writes:  # a write changed the seeded world, and the replay shows it
            assert replay.end_state["_mcp"]["shop"] != world

    rollout = RolloutConfig(mcp_servers={"shop": worlds["shop"]}, max_in_flight=4)
    summary = await run_episodes(sqlite_store, tasks, agents, shop_tools, rollout)
    assert summary.end_reasons == {"user_stop": len(tasks)}
    by_id = {t.id: t for t in tasks}
    for traj in sqlite_store.list(Trajectory):
        task = by_id[traj.task_id]
        assert set(traj.metadata["executors"].values()) == {"mcp"}
        assert traj.final_state["_mcp"]["shop"] == task.blueprint.expected_end_state["_mcp"]["shop"]
        result = check_state(traj, task, StateConfig())
        assert result.passed and result.details["applicable"], result.reason
        # the same episode with one record changed behind its back is caught
        tampered = json.loads(json.dumps(traj.final_state))
        tampered["_mcp"]["shop"]["products"]["prd_mug"]["stock"] += 1
        bad = check_state(traj.model_copy(update={"final_state": tampered}), task, StateConfig())
        assert not bad.passed and "prd_mug" in bad.reason
        users = [m.content or "" for m in traj.messages if m.role == "user"]
        assert not any(_pastes_description(u, shop_tools) for u in users), users
    assert JudgeConfig().required[:3] == ["rules", "grounding", "state"]


async def test_a_world_that_cannot_start_fails_the_stage_naming_the_server(
    sqlite_store: Store, shop_tools: list[ToolSpec], tmp_path: Path
) -> None:
    broken = parse_servers(
        {
            "mcpServers": {
                "shop": {
                    "command": "python",
                    "args": ["-m", "examples.mcp_servers.no_such_server"],
                    "cwd": str(REPO),
                    "world": {"stateEnv": "SHOP_STATE_FILE", "stateFile": "shop.json"},
                }
            }
        }
    )
    agents = await generate_agents(
        sqlite_store, shop_tools, AgentGenConfig(count=1, min_tools=3, max_tools=4)
    )
    config = TaskGenConfig(difficulties=["single_call"], mcp_servers=world_servers(broken))
    with pytest.raises(ConfigError, match="'shop'.*servers file"):
        await generate_tasks(sqlite_store, agents, shop_tools, config)


@pytest.mark.slow
async def test_a_wrong_id_from_the_user_is_met_with_a_question_not_a_guess(
    sqlite_store: Store, shop_tools: list[ToolSpec]
) -> None:
    worlds = world_servers(load_servers(SERVERS))
    agents = await generate_agents(
        sqlite_store, shop_tools, AgentGenConfig(count=4, min_tools=4, max_tools=6)
    )
    config = TaskGenConfig(difficulties=["recovery"], per_difficulty=3, mcp_servers={"shop": worlds["shop"]})
    tasks = await generate_tasks(sqlite_store, agents, shop_tools, config)
    mistaken = [t for t in tasks if t.metadata["mistaken_facts"]]
    assert mistaken and len(mistaken) < len(tasks)  # both kinds of recovery are made
    rollout = RolloutConfig(mcp_servers={"shop": worlds["shop"]})
    await run_episodes(sqlite_store, mistaken, agents, shop_tools, rollout)
    judge = Judge(JudgeConfig(rubric={"enabled": False}, required=["rules", "grounding", "state"]))
    by_id = {t.id: t for t in mistaken}
    for traj in sqlite_store.list(Trajectory):
        task = by_id[traj.task_id]
        ((key, wrong),) = task.metadata["mistaken_facts"].items()
        assert wrong in task.user_goal.opening_message and wrong not in json.dumps(shop.SEED)
        roles = [m.role for m in traj.messages]
        error = next(i for i, m in enumerate(traj.messages) if m.role == "tool" and m.is_error)
        # the world said no; the assistant asks (no call), the user corrects, then the right call
        question = traj.messages[error + 1]
        assert question.role == "assistant" and not question.tool_calls and "?" in (question.content or "")
        assert (
            roles[error + 2] == "user"
            and str(task.user_goal.known_facts[key]) in traj.messages[error + 2].content
        )
        calls = [c for _, c in traj.tool_calls]
        failed = next(c for c in calls if c.parsed_arguments().get(key) == wrong)
        assert any(c.name == failed.name and c.parsed_arguments() != failed.parsed_arguments() for c in calls)
        verdict = await judge.judge(traj, task)
        assert verdict.accepted, [c.reason for c in verdict.checks]
