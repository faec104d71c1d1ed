"""Code-task episodes in real containers: the gold patch through the tools, a scripted model over
real HTTP (litellm against the loopback server), tool failures as observations, limits, and a
sandbox that dies mid-episode. Every episode ends graded and judged like any other."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from environments.episodes.code_task_episode import TOOL_SPECS, CodeLimits, PatchPolicy, run_code_task
from environments.episodes.episode import Episode
from environments.episodes.policies import LLMPolicy
from judges.config import JudgeConfig, RubricConfig, StateConfig
from judges.judge import Judge
from judges.tests_check import SandboxGrader
from sandbox import DEFAULT_IMAGE, CodeTask, SandboxSpec, load_task
from sandbox.docker_backend import DockerBackend
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import Store
from toolforge.core.types import Message, ToolCall
from toolforge_testing.llm_server import Reply, TestServer

pytestmark = pytest.mark.docker
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "code_tasks"
IMAGE = os.environ.get("TOOLFORGE_SANDBOX_IMAGE", DEFAULT_IMAGE)


@pytest.fixture
def backend(docker_backend: DockerBackend) -> DockerBackend:
    return docker_backend


@pytest.fixture
def spec() -> SandboxSpec:
    return SandboxSpec(image=IMAGE)


@pytest.fixture
def median() -> CodeTask:
    return load_task(EXAMPLES / "median")


async def test_gold_patch_episode_is_graded_resolved_and_accepted(
    backend: DockerBackend, spec: SandboxSpec, median: CodeTask, sqlite_store: Store
) -> None:
    episode = await run_code_task(median, PatchPolicy(median.gold_patch or ""), backend, spec=spec, key="k")
    traj = episode.trajectory
    assert traj.end_reason == "graded" and traj.error is None
    assert episode.report is not None and episode.report.resolved
    assert traj.final_state["patch"] == median.gold_patch
    assert traj.final_state["grade"]["status"] == "resolved"
    assert [c.name for _, c in traj.tool_calls] == ["write_file", "bash", "run_tests"]
    assert [m.role for m in traj.messages] == ["system", "user"] + ["assistant", "tool"] * 3 + ["assistant"]
    assert "5 passed" in (traj.messages[-2].content or "")
    assert {t["function"]["name"] for t in traj.tools} == {"bash", "read_file", "write_file", "run_tests"}
    assert episode.task.difficulty == "code" and episode.task.metadata["code_task"] == "median"
    assert traj.task_id == episode.task.id and traj.agent_id == episode.agent.id

    # the judges re-grade the stored patch in a fresh sandbox; everything is stored like any episode
    judge = Judge(
        JudgeConfig(state=StateConfig(enabled=False), rubric=RubricConfig(enabled=False)),
        grader=SandboxGrader(backend, {median.id: median}, spec),
    )
    verdict = await judge.judge(traj, episode.task)
    assert verdict.accepted, verdict
    assert {c.check for c in verdict.checks} == {"rules", "grounding", "tests"}
    sqlite_store.put([*TOOL_SPECS, episode.agent, episode.task, traj, verdict])
    stored = sqlite_store.get(type(traj), traj.id)
    assert stored is not None and stored.final_state["patch"] == median.gold_patch


async def test_a_model_fixes_the_task_through_the_tools(
    backend: DockerBackend, spec: SandboxSpec, median: CodeTask, sqlite_store: Store
) -> None:
    fixed = (
        median.files["stats/central.py"]
        .replace("        return None\n", '        raise ValueError("median of an empty sequence")\n')
        .replace(
            "    return ordered[len(ordered) // 2]\n",
            "    mid = len(ordered) // 2\n"
            "    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2\n",
        )
    )
    with TestServer() as server:
        server.enqueue(
            Reply.calls(("read_file", {"path": "stats/central.py"})),
            Reply.calls(("read_file", {"path": "does/not/exist.py"})),  # a tool failure: an observation
            Reply.calls(("write_file", {"path": "stats/central.py"})),  # invalid: content is missing
            Reply.calls(("write_file", {"path": "stats/central.py", "content": fixed})),
            Reply.calls(("run_tests", {"tests": ["tests/test_central.py"]})),
            Reply.text("Fixed median for even lengths and empty input."),
        )
        cfg = LLMConfig(model="openai/test-model", api_base=server.url, timeout_s=10.0)
        async with LLMClient(sqlite_store, run_id="t") as llm:
            episode = await run_code_task(
                median, LLMPolicy(llm, cfg), backend, spec=spec, models={"agent": cfg.model}
            )
        sent_tools = {t["function"]["name"] for t in server.requests[0].body["tools"]}
    traj = episode.trajectory
    assert sent_tools == {"bash", "read_file", "write_file", "run_tests"}
    assert traj.end_reason == "graded", traj.error
    assert episode.report is not None and episode.report.resolved
    tool_messages = [m for m in traj.messages if m.role == "tool"]
    assert "def median" in (tool_messages[0].content or "")
    assert tool_messages[1].is_error and "cannot read" in (tool_messages[1].content or "")
    assert tool_messages[2].is_error and "content" in (tool_messages[2].content or "")
    assert not tool_messages[3].is_error and "[exit code 0]" in (tool_messages[4].content or "")
    assert traj.usage.calls == 6 and traj.models == {"agent": "openai/test-model"}
    assert "stats/central.py" in traj.final_state["patch"]


async def test_turn_limit_still_ends_with_grading(
    backend: DockerBackend, spec: SandboxSpec, median: CodeTask
) -> None:
    class Looper:
        name = "looper"

        async def act(self, messages: list[Message], episode: Episode) -> Message:
            call = ToolCall.make(f"c{len(messages)}", "bash", {"command": "echo thinking"})
            return Message(role="assistant", content="Still looking.", tool_calls=[call])

    episode = await run_code_task(median, Looper(), backend, spec=spec, limits=CodeLimits(max_turns=3))
    assert episode.trajectory.end_reason == "max_turns"
    assert episode.report is not None and episode.report.status == "not_resolved"
    assert episode.trajectory.metadata["tool_calls"] == 3


async def test_a_sandbox_that_dies_ends_the_attempt_as_infra_error(
    backend: DockerBackend, spec: SandboxSpec, median: CodeTask
) -> None:
    class Saboteur:
        """Removes the episode's container from outside, then asks for a command."""

        name = "saboteur"

        async def act(self, messages: list[Message], episode: Episode) -> Message:
            for container in backend.list(backend.config.owner):
                container.remove(force=True)
            return Message(
                role="assistant", tool_calls=[ToolCall.make("c1", "bash", {"command": "ls"})], content=None
            )

    episode = await run_code_task(median, Saboteur(), backend, spec=spec)
    traj = episode.trajectory
    assert traj.end_reason == "infra_error" and "sandbox" in (traj.error or "")
    assert episode.report is None and traj.final_state["grade"] is None
