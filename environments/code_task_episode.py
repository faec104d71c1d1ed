"""Code-task episodes: an agent works on a `sandbox.CodeTask` inside a sandbox with four tools
(bash, read_file, write_file, run_tests); the episode ends with grading by the task's tests.

The result is an ordinary `Trajectory` (end reason `graded`, the workspace diff in
`final_state["patch"]`, the grade in `final_state["grade"]`) for an ordinary `Task` (difficulty
`code`, `metadata["code_task"]` = the code task's id) and `Agent`, so it flows into the judges
(`judges.tests_check` re-grades the patch in a fresh sandbox) and into export like any episode.

Policies: `environments.policies.LLMPolicy` (a model), or `PatchPolicy` (applies a known patch
through the same tools — the gold patch gives a reference trajectory and checks the harness).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from environments.environment import ExecutorSet, ToolEnvironment
from environments.episode import Episode
from environments.errors import InfraError
from environments.executors.base import CallContext, ToolResult
from environments.policies import Policy
from environments.toolkit import ToolFailure, Toolkit, tool
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
from toolforge.core.errors import BudgetExceeded, LLMError
from toolforge.core.ids import content_id, digest
from toolforge.core.llm.metering import start_meter, stop_meter
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
    """Runs the sandbox tools. A tool's failure is an observation; a sandbox failure ends the attempt."""

    kind = "sandbox"

    def __init__(self, tools: SandboxTools) -> None:
        self.tools = tools

    async def execute(self, tool_spec: ToolSpec, arguments: dict[str, Any], ctx: CallContext) -> ToolResult:
        method = getattr(self.tools, tool_spec.name)
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


class PatchPolicy:
    """Applies a known unified diff through the sandbox tools, runs the tests, and stops."""

    name = "patch"
    PATCH_FILE = ".toolforge_patch.diff"

    def __init__(self, patch: str) -> None:
        self.patch = patch

    async def act(self, messages: list[Message], episode: Episode) -> Message:
        step = sum(len(m.tool_calls or []) for m in messages if m.role == "assistant")
        turn = len(messages)
        if step == 0:
            return _call(
                turn,
                "I'll write the fix as a patch file.",
                "write_file",
                path=self.PATCH_FILE,
                content=self.patch,
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


@dataclass
class CodeEpisode:
    agent: Agent
    task: Task
    trajectory: Trajectory
    report: GradeReport | None  # None when the sandbox failed before grading


@contextmanager
def _sandbox(source: Backend | SandboxPool, spec: SandboxSpec) -> Iterator[Sandbox]:
    if isinstance(source, SandboxPool):
        with source.lease() as box:
            yield box
    else:
        with source.start(spec) as box:
            yield box


def run_key(policy: Policy, limits: CodeLimits, models: dict[str, str] | None = None, extra: str = "") -> str:
    """The fingerprint of how an episode was played: trajectory ids hash it."""
    return digest(
        {"policy": policy.name, "limits": limits.model_dump(), "models": models or {}, "extra": extra}
    )


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
    """Play one attempt at `code_task` in a fresh sandbox and grade the workspace at the end."""
    limits = limits or CodeLimits()
    agent, task = code_task_records(code_task)
    episode_id = content_id("traj", task.id, attempt, key)
    episode = Episode(task=task, agent=agent, tools=TOOL_SPECS, episode_id=episode_id, attempt=attempt)
    messages = [
        Message(role="system", content=SYSTEM_PROMPT),
        Message(role="user", content=code_task.instruction),
    ]
    start = time.perf_counter()
    end: EndReason = "agent_stop"
    error: str | None = None
    report: GradeReport | None = None
    patch = ""
    turns = calls = 0
    token = start_meter(episode.add_usage)
    try:
        with _sandbox(source, spec or SandboxSpec()) as box:
            await asyncio.to_thread(prepare, box, code_task)
            tools = SandboxTools(box, code_task, limits)
            executor = SandboxExecutor(tools)
            env = ToolEnvironment(
                TOOL_SPECS, ExecutorSet(overrides={t.name: executor for t in TOOL_SPECS}), {}, episode_id
            )
            try:
                async with asyncio.timeout(limits.max_wall_s):
                    while True:
                        if turns >= limits.max_turns:
                            end = "max_turns"
                            break
                        reply = await policy.act(messages, episode)
                        turns += 1
                        if not reply.tool_calls:
                            if (reply.content or "").strip():
                                messages.append(reply)
                            end = "graded"
                            break
                        if calls + len(reply.tool_calls) > limits.max_tool_calls:
                            end = "max_tool_calls"
                            break
                        messages.append(reply)
                        for call in reply.tool_calls:
                            messages.append(await env.call(call))
                            calls += 1
            except TimeoutError:
                end, error = "timeout", f"wall time over {limits.max_wall_s:g}s"
            except BudgetExceeded as exc:
                end, error = "budget", str(exc)
            except (InfraError, LLMError) as exc:
                end, error = "infra_error", f"{type(exc).__name__}: {exc}"
            # the episode ends with grading, whatever ended the agent's turns (unless the sandbox died)
            if end != "infra_error":
                patch = await asyncio.to_thread(workspace_diff, box)
                report = await asyncio.to_thread(grade, box, code_task)
    except SandboxError as exc:
        end, error = "infra_error", f"{type(exc).__name__}: {exc}"
        report = None
    finally:
        stop_meter(token)
    trajectory = Trajectory(
        task_id=task.id,
        agent_id=agent.id,
        attempt=attempt,
        run_key=key,
        messages=messages,
        tools=[t.openai_function() for t in TOOL_SPECS],
        models=dict(models or {}),
        usage=episode.usage,
        wall_time_s=round(time.perf_counter() - start, 4),
        end_reason=end,
        error=error,
        final_state={
            "patch": patch,
            "grade": report.model_dump(mode="json", exclude={"log_tail"}) if report else None,
        },
        metadata={
            "difficulty": "code",
            "code_task": code_task.id,
            "turns": turns,
            "tool_calls": calls,
            "policy": policy.name,
            "sandbox": source.backend.name if isinstance(source, SandboxPool) else source.name,
            **({"grade_status": report.status} if report else {}),
        },
    )
    return CodeEpisode(agent=agent, task=task, trajectory=trajectory, report=report)
