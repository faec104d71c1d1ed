"""Code tasks: an agent works on a `sandbox.CodeTask` inside a sandbox with four tools (bash,
read_file, write_file, run_tests); the episode ends with grading by the task's tests.

A code task is played by the runner's one episode loop (`environments.episodes.runner`), like any
episode: the sandbox is one more executor (`SandboxExecutor`), which leases a sandbox when the
episode begins, grades the workspace when its turns are over, and gives the sandbox back. The
result is an ordinary `Trajectory` (end reason `graded`, the workspace diff in
`final_state["patch"]`, the grade in `final_state["grade"]`) for an ordinary `Task` (difficulty
`code`, `metadata["code_task"]` = the code task's id) and `Agent`, so it flows into the judges
(`judges.tests_check` re-grades the patch in a fresh sandbox) and into export like any episode.

Policies: `environments.episodes.policies.LLMPolicy` (a model), or `PatchPolicy` (applies a known patch
through the same tools — the gold patch gives a reference trajectory and checks the harness).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from environments.episodes.config import Limits
from environments.episodes.environment import EpisodeNotes, ExecutorSet
from environments.episodes.episode import Episode
from environments.episodes.errors import InfraError
from environments.episodes.executors.base import CallContext, Executor, ToolResult
from environments.episodes.policies import Policy
from environments.episodes.runner import run_episode
from environments.episodes.runtime import Runtime
from environments.episodes.state import State
from environments.episodes.toolkit import ToolFailure, Toolkit, tool
from environments.episodes.users import UserTurn, opening_message
from sandbox import (
    Backend,
    CodeTask,
    GradeReport,
    Sandbox,
    SandboxError,
    SandboxPool,
    SandboxSpec,
    grade,
    prepare,
    workspace_diff,
)
from toolforge.core.ids import digest
from toolforge.core.types import (
    Agent,
    EndReason,
    Message,
    Rubric,
    Task,
    ToolCall,
    ToolSpec,
    Trajectory,
    UserGoal,
    run_key,
)

SYSTEM_PROMPT = """\
You are a careful software engineer. A Python repository is checked out in /workspace inside an \
isolated sandbox with no network. Use the tools to explore the code, make the change the user asks \
for, and run the tests. Change the code, not the tests. When you are done, answer with a short \
summary of what you changed and call no tool."""


class CodeLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_turns: int = Field(default=40, ge=1)
    max_tool_calls: int = Field(default=60, ge=1)
    max_wall_s: float = Field(default=1800.0, gt=0)
    command_timeout_s: float = Field(default=120.0, gt=0)
    max_output_chars: int = Field(default=10_000, ge=200)

    def episode_limits(self) -> Limits:
        """The runner's limits: no token limit, turns, calls and wall time bound a code task."""
        return Limits(
            max_turns=self.max_turns,
            max_tool_calls=self.max_tool_calls,
            max_tokens=None,
            max_wall_s=self.max_wall_s,
        )


class CommandOutput(BaseModel):
    exit_code: int
    output: str
    timed_out: bool = False


class _NoWorld(BaseModel):
    pass


class SandboxTools(Toolkit):
    """The agent's tools, bound to one sandbox and one code task."""

    name = "sandbox"
    domain = "code"
    World = _NoWorld

    def __init__(self, sandbox: Sandbox, code_task: CodeTask, limits: CodeLimits) -> None:
        super().__init__(_NoWorld())
        self.sandbox = sandbox
        self.code_task = code_task
        self.limits = limits

    def _clip(self, text: str) -> str:
        cap = self.limits.max_output_chars
        if len(text) <= cap:
            return text
        return text[: cap // 2] + f"\n... [{len(text) - cap} characters cut] ...\n" + text[-cap // 2 :]

    def _command(self, cmd: str | list[str]) -> CommandOutput:
        result = self.sandbox.exec(cmd, timeout_s=self.limits.command_timeout_s)
        output = result.stdout + result.stderr
        if result.timed_out:
            output += f"\n[killed: the command ran past {self.limits.command_timeout_s:g}s]"
        return CommandOutput(
            exit_code=result.exit_code, output=self._clip(output), timed_out=result.timed_out
        )

    @tool
    def bash(self, command: str) -> CommandOutput:
        """Run a shell command in the repository (working directory /workspace, no network).

        Args:
            command: The command line, run by /bin/sh, e.g. "grep -rn 'def median' ." or "git diff".
        """
        return self._command(command)

    @tool(read_only=True)
    def read_file(self, path: str) -> str:
        """Read a text file of the repository.

        Args:
            path: The file's path relative to the repository root, e.g. "pkg/module.py".
        """
        try:
            data = self.sandbox.read_file(path, max_bytes=self.limits.max_output_chars * 4)
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ToolFailure(f"cannot read {path}: {exc}") from exc
        return self._clip(data.decode("utf-8", "replace"))

    @tool
    def write_file(self, path: str, content: str) -> str:
        """Create or overwrite a text file of the repository with the given content.

        Args:
            path: The file's path relative to the repository root; parent folders are created.
            content: The complete new content of the file.
        """
        self.sandbox.write_files({path: content})  # ValueError for a path outside the repository
        return f"wrote {len(content.encode())} bytes to {path}"

    @tool(read_only=True)
    def run_tests(self, tests: list[str] | None = None) -> CommandOutput:
        """Run tests with pytest and show the result.

        Args:
            tests: pytest node ids or test files, e.g. ["tests/test_x.py::test_y"]; default: the task's test files.
        """
        targets = tests or self.code_task.test_files
        return self._command(
            [self.code_task.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *targets]
        )


class SandboxExecutor:
    """Runs the sandbox tools, in a sandbox of the episode's own: leased and prepared with the code
    task's repository when the episode begins, graded when its turns are over (unless the episode
    failed), given back at its end. A tool's failure is an observation; a sandbox failure ends
    the attempt (`InfraError`)."""

    kind = "sandbox"

    def __init__(
        self,
        source: Backend | SandboxPool,
        code_tasks: Mapping[str, CodeTask],
        limits: CodeLimits,
        spec: SandboxSpec | None = None,
    ) -> None:
        self.source = source
        self.code_tasks = code_tasks
        self.limits = limits
        self.spec = spec or SandboxSpec()
        self.name = source.backend.name if isinstance(source, SandboxPool) else source.name
        self.open: dict[str, _Held] = {}  # by episode id

    async def begin(self, episode: Episode) -> None:
        held = self.open[episode.episode_id] = _Held(self.code_tasks[episode.task.metadata["code_task"]])
        lease = self.source.lease() if isinstance(self.source, SandboxPool) else self.source.start(self.spec)
        try:
            box = await asyncio.to_thread(lease.__enter__)
        except SandboxError as exc:
            raise InfraError(f"sandbox failed to start: {exc}") from exc
        held.lease, held.tools = lease, SandboxTools(box, held.code_task, self.limits)
        try:
            await asyncio.to_thread(prepare, box, held.code_task)
        except SandboxError as exc:
            raise InfraError(f"sandbox failed while preparing {held.code_task.id}: {exc}") from exc

    async def execute(self, tool_spec: ToolSpec, arguments: dict[str, Any], ctx: CallContext) -> ToolResult:
        method = getattr(self.open[ctx.episode_id].tools, tool_spec.name)
        try:
            value = await asyncio.to_thread(method, **arguments)
        except SandboxError as exc:
            raise InfraError(f"sandbox failed during {tool_spec.name}: {exc}") from exc
        except (ToolFailure, ValueError, PermissionError, OSError) as exc:
            return ToolResult.error(str(exc))
        if isinstance(value, CommandOutput):
            head = f"[exit code {value.exit_code}{', timed out' if value.timed_out else ''}]"
            return ToolResult(content=f"{head}\n{value.output}", structured=value.model_dump())
        return ToolResult(content=str(value), structured=value)

    async def finish(self, episode_id: str, state: State, end: EndReason) -> EpisodeNotes:
        """The workspace's diff and grade into `state`, whatever ended the turns (unless the
        episode failed: a dead sandbox, or a model that failed, grades nothing)."""
        held = self.open[episode_id]
        state["patch"], state["grade"] = "", None
        notes: dict[str, Any] = {"code_task": held.code_task.id, "sandbox": self.name}
        if held.tools is None or end == "infra_error":
            return EpisodeNotes(notes)
        try:
            state["patch"] = await asyncio.to_thread(workspace_diff, held.tools.sandbox)
            report = await asyncio.to_thread(grade, held.tools.sandbox, held.code_task)
        except SandboxError as exc:
            raise InfraError(f"sandbox failed while grading: {exc}") from exc
        state["grade"] = report.model_dump(mode="json", exclude={"log_tail"})
        return EpisodeNotes({**notes, "grade_status": report.status}, graded=True)

    async def release(self, episode_id: str, state: State) -> None:
        held = self.open.pop(episode_id, None)
        if held is not None and held.lease is not None:
            await asyncio.to_thread(held.lease.__exit__, None, None, None)


@dataclass
class _Held:
    """One episode's sandbox: its code task, the lease (a context to exit) and the bound tools."""

    code_task: CodeTask
    lease: AbstractContextManager[Sandbox] | None = None
    tools: SandboxTools | None = None


TOOL_SPECS: list[ToolSpec] = SandboxTools.specs()


def code_task_records(code_task: CodeTask) -> tuple[Agent, Task]:
    """The Agent (coding assistant with the sandbox tools) and the Task a code task becomes."""
    agent = Agent(
        name="code-agent",
        system_prompt=SYSTEM_PROMPT,
        tool_ids=[t.id for t in TOOL_SPECS],
        tool_names=[t.name for t in TOOL_SPECS],
        domain="code",
        persona="software engineer",
        source="template",
    )
    task = Task(
        agent_id=agent.id,
        user_goal=UserGoal(
            description=code_task.instruction,
            opening_message=code_task.instruction,
            persona="a developer who reported the problem",
        ),
        difficulty="code",
        calls_share_workspace=True,
        rubric=Rubric(
            success_criteria=[
                f"the FAIL_TO_PASS tests pass: {', '.join(code_task.fail_to_pass)}",
                "every PASS_TO_PASS test still passes",
                "the tests themselves are not weakened",
            ],
        ),
        source="code_task",
        domain="code",
        metadata={"code_task": code_task.id, "code_task_digest": digest(code_task.model_dump(mode="json"))},
    )
    return agent, task


class InstructionUser:
    """The user of a code task: opens with the task's instruction and says nothing more, so the
    episode's turns end when the agent stops calling tools (and the tests then grade it)."""

    name = "instruction"

    async def opening(self, episode: Episode) -> str:
        return opening_message(episode.task)

    async def reply(self, messages: list[Message], episode: Episode) -> UserTurn:
        return UserTurn("", stop=True)


class PatchPolicy:
    """Applies a known unified diff through the sandbox tools, runs the tests, and stops: one
    patch for every task, or one per code task id (each task's gold patch)."""

    name = "patch"
    PATCH_FILE = ".toolforge_patch.diff"

    def __init__(self, patches: str | Mapping[str, str]) -> None:
        self.patches = patches

    @property
    def key(self) -> str:
        """What the policy plays, for the run key: the patches' digest."""
        return digest(self.patches if isinstance(self.patches, str) else dict(sorted(self.patches.items())))

    def patch_for(self, task: Task) -> str:
        if isinstance(self.patches, str):
            return self.patches
        return self.patches[task.metadata["code_task"]]

    async def act(self, messages: list[Message], episode: Episode) -> Message:
        step = sum(len(m.tool_calls or []) for m in messages if m.role == "assistant")
        turn = len(messages)
        if step == 0:
            return _call(
                turn,
                "I'll write the fix as a patch file.",
                "write_file",
                path=self.PATCH_FILE,
                content=self.patch_for(episode.task),
            )
        if step == 1:
            command = f"git apply --whitespace=nowarn {self.PATCH_FILE}; rc=$?; rm -f {self.PATCH_FILE}; git status --short; exit $rc"
            return _call(turn, "Now I'll apply it.", "bash", command=command)
        if step == 2:
            return _call(turn, "Let me run the tests.", "run_tests")
        last = next((m for m in reversed(messages) if m.role == "tool"), None)
        summary = (last.content or "").strip().splitlines()[-1:] if last else []
        return Message(
            role="assistant", content=f"I applied the fix and ran the tests ({' '.join(summary)})."
        )


def _call(turn: int, text: str, name: str, **arguments: Any) -> Message:
    return Message(
        role="assistant", content=text, tool_calls=[ToolCall.make(f"call_{turn}_0", name, arguments)]
    )


@dataclass(frozen=True)
class CodeRunConfig:
    """How a run plays its code tasks (`runner.EpisodeSettings`): the policy, the limits and the
    models name the run key; `max_in_flight` (sandboxes at once) does not."""

    policy: Policy
    code_limits: CodeLimits
    models: dict[str, str]
    max_in_flight: int = 2

    @property
    def limits(self) -> Limits:
        return self.code_limits.episode_limits()

    def run_key(self) -> str:
        played = getattr(self.policy, "key", "")  # a patch policy's patches are what it plays
        how = {"policy": self.policy.name, "limits": self.code_limits.model_dump(), "models": self.models}
        return run_key({**how, "extra": played})


def code_runtime(
    source: Backend | SandboxPool,
    code_tasks: Mapping[str, CodeTask],
    policy: Policy,
    limits: CodeLimits,
    spec: SandboxSpec | None = None,
) -> Runtime:
    """What code tasks are played with: the sandbox executor for the four tools, the policy, and
    the instruction as the user."""
    executor: Executor = SandboxExecutor(source, code_tasks, limits, spec)
    return Runtime(ExecutorSet(overrides={t.name: executor for t in TOOL_SPECS}), policy, InstructionUser())


@dataclass
class CodeEpisode:
    agent: Agent
    task: Task
    trajectory: Trajectory
    report: GradeReport | None  # None when the sandbox failed before grading


async def run_code_task(
    code_task: CodeTask,
    policy: Policy,
    source: Backend | SandboxPool,
    *,
    spec: SandboxSpec | None = None,
    attempt: int = 0,
    limits: CodeLimits | None = None,
    key: str = "",
    models: dict[str, str] | None = None,
) -> CodeEpisode:
    """Play one attempt at `code_task` in a fresh sandbox (the runner's loop) and grade it."""
    limits = limits or CodeLimits()
    agent, task = code_task_records(code_task)
    runtime = code_runtime(source, {code_task.id: code_task}, policy, limits, spec)
    traj = await run_episode(task, agent, TOOL_SPECS, attempt, runtime, limits.episode_limits(), key, models)
    grade_data = traj.final_state.get("grade")
    report = GradeReport.model_validate(grade_data) if grade_data is not None else None
    return CodeEpisode(agent=agent, task=task, trajectory=traj, report=report)
