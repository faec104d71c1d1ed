"""The episode runner: the loop of one episode, and many episodes in flight under a bound.

One episode: the system prompt and the user's opening; then the policy answers; each tool call is
validated and executed (`ToolEnvironment.call`) and its result appended; when the agent speaks
without calling tools the user simulator answers or stops. Limits on turns, tool calls, tokens and
wall time end it otherwise; an `InfraError`, a model failure or a spent budget end it with the
reason stored.

Many episodes: `play` runs every (task, attempt) the store does not yet hold for this run's key —
it asks the store which (task, attempt) pairs are stored under the key, once per call — with at
most `max_in_flight` at once, committing each trajectory as it finishes. Killed at any moment, a
re-run does exactly the missing ones.

Code tasks are played by this same loop: their sandbox is one more executor with per-episode
resources (`environment.EpisodeResources`), their "user" gives the instruction and stops.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, Field

from environments.episodes.config import Limits
from environments.episodes.environment import EpisodeNotes, ToolEnvironment
from environments.episodes.episode import Episode
from environments.episodes.errors import InfraError
from environments.episodes.runtime import Runtime
from environments.episodes.writer import TrajectoryWriter, trajectory_values
from toolforge.core.errors import AuthError, BudgetExceeded, LLMError
from toolforge.core.llm.metering import start_meter, stop_meter
from toolforge.core.store import Store
from toolforge.core.types import Agent, EndReason, Message, Task, ToolSpec, Trajectory, Usage, trajectory_id


class EpisodeSettings(Protocol):
    """How a run plays its episodes: `RolloutConfig` for tool episodes, `CodeRunConfig` for code tasks."""

    @property
    def limits(self) -> Limits: ...

    @property
    def models(self) -> dict[str, str]: ...

    @property
    def max_in_flight(self) -> int: ...

    def run_key(self) -> str: ...


def agent_tools(agent: Agent, tools_by_id: dict[str, ToolSpec]) -> list[ToolSpec]:
    """The agent's tools, by id (names may repeat across servers and toolkits)."""
    missing = [n for i, n in zip(agent.tool_ids, agent.tool_names, strict=False) if i not in tools_by_id]
    if missing:
        raise ValueError(
            f"agent {agent.id} uses tools not given to the run: {', '.join(missing)}; pass the whole library"
        )
    return [tools_by_id[i] for i in agent.tool_ids]


async def run_episode(
    task: Task,
    agent: Agent,
    tools: list[ToolSpec],
    attempt: int,
    runtime: Runtime,
    limits: Limits,
    run_key: str = "",
    models: dict[str, str] | None = None,
    *,
    task_id: str = "",
    agent_id: str = "",
) -> Trajectory:
    """One attempt at `task`. `task_id` and `agent_id`, when given, are `task.id` and `agent.id`
    (content hashes: `play` has them already)."""
    task_id = task_id or task.id
    agent_id = agent_id or agent.id
    episode_id = trajectory_id(task_id, attempt, run_key)
    episode = Episode(task=task, agent=agent, tools=tools, episode_id=episode_id, attempt=attempt)
    env = ToolEnvironment(tools, runtime.executors, task.initial_state, episode_id)
    turns = _Turns(runtime, env, episode, limits, [Message(role="system", content=agent.system_prompt)])
    start = time.perf_counter()
    notes = EpisodeNotes()
    metering = start_meter(episode.add_usage)  # model calls of this episode count into its usage
    try:
        end, error = await turns.play()
        notes = await env.finish(end)  # per-episode executors end it (a code task's tests run)
        if notes.graded and end in ("agent_stop", "user_stop"):
            end = "graded"
    except InfraError as exc:  # the end itself failed (the sandbox died while grading)
        end, error = "infra_error", f"{type(exc).__name__}: {exc}"
    finally:
        stop_meter(metering)
        await env.aclose()
    return Trajectory(
        task_id=task_id,
        agent_id=agent_id,
        attempt=attempt,
        run_key=run_key,
        messages=turns.messages,
        tools=[t.openai_function() for t in tools],
        models=dict(models or {}),
        usage=episode.usage,
        wall_time_s=round(time.perf_counter() - start, 4),
        end_reason=end,
        error=error,
        final_state=env.state,
        metadata={
            "difficulty": task.difficulty,
            "turns": turns.turns,
            "tool_calls": turns.calls,
            "policy": runtime.policy.name,
            "user": runtime.user.name,
            "executors": runtime.executors.kinds(tools),
            **({"outcomes": env.outcomes} if env.outcomes else {}),
            **notes.metadata,
        },
    )


class _Turns:
    """The turns of one episode; `play` answers how they ended (end reason, error)."""

    def __init__(
        self,
        runtime: Runtime,
        env: ToolEnvironment,
        episode: Episode,
        limits: Limits,
        messages: list[Message],
    ) -> None:
        self.runtime, self.env, self.episode, self.limits = runtime, env, episode, limits
        self.messages = messages
        self.turns = self.calls = 0

    async def play(self) -> tuple[EndReason, str | None]:
        limits = self.limits
        try:
            await self.env.begin(self.episode)  # per-episode resources (a sandbox), outside the clock
            async with asyncio.timeout(limits.max_wall_s):
                return await self._turns(), None
        except TimeoutError:
            return "timeout", f"wall time over {limits.max_wall_s}s"
        except BudgetExceeded as exc:
            return "budget", str(exc)
        except AuthError:
            raise  # a refused key fails every attempt alike: the run stops and says so
        except (InfraError, LLMError) as exc:
            return "infra_error", f"{type(exc).__name__}: {exc}"

    def _over_tokens(self) -> bool:
        cap = self.limits.max_tokens
        return cap is not None and _tokens(self.episode.usage) > cap

    async def _turns(self) -> EndReason:
        runtime, episode, limits, messages = self.runtime, self.episode, self.limits, self.messages
        messages.append(Message(role="user", content=await runtime.user.opening(episode)))
        while True:
            if self.turns >= limits.max_turns:
                return "max_turns"
            reply = await runtime.policy.act(messages, episode)
            self.turns += 1
            if self._over_tokens():
                return "max_tokens"
            if reply.tool_calls:
                if self.calls + len(reply.tool_calls) > limits.max_tool_calls:
                    return "max_tool_calls"  # the unanswered calls are not kept
                messages.append(reply)
                for call in reply.tool_calls:
                    messages.append(await self.env.call(call))
                    self.calls += 1
                continue
            if not (reply.content or "").strip():
                return "agent_stop"
            messages.append(reply)
            turn = await runtime.user.reply(messages, episode)
            if turn.text:
                messages.append(Message(role="user", content=turn.text))
            if turn.stop:
                return "user_stop"
            if self._over_tokens():
                return "max_tokens"


def _tokens(usage: Usage) -> int:
    return usage.prompt_tokens + usage.completion_tokens


class RolloutSummary(BaseModel):
    run_key: str
    requested: int
    already_done: int
    ran: int
    end_reasons: dict[str, int] = Field(default_factory=dict)
    wall_s: float = 0.0
    trajectories_per_s: float = 0.0
    usage: Usage = Field(default_factory=Usage)
    without_blueprint: int = 0  # tasks the blueprint policy could not play (not run)


async def play(
    store: Store,
    tasks: Sequence[Task],
    agents: Sequence[Agent],
    tools: Sequence[ToolSpec],
    runtime: Runtime,
    config: EpisodeSettings,
    attempts: int = 1,
    on_done: Callable[[Trajectory], Any] | None = None,
) -> RolloutSummary:
    """Run every (task, attempt) the store lacks under this config's run key with `runtime`;
    store each trajectory."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    run_key = config.run_key()
    agents_by_id = {a.id: a for a in agents}
    tools_by_id = {t.id: t for t in tools}
    # these tasks' attempts only: a cluster node's unit, or a batch of a large run, never the whole run
    done = await asyncio.to_thread(store.stored_attempts, run_key, [t.id for t in tasks])
    todo: list[tuple[Task, str, int]] = []  # (task, its id, attempt)
    unplayable = 0
    for task in tasks:
        if task.agent_id not in agents_by_id:
            raise ValueError(f"task {task.id} belongs to agent {task.agent_id}, which was not given")
        if runtime.policy.name == "blueprint" and task.blueprint is None:
            unplayable += 1  # the blueprint policy has nothing to play; the LLM policy can run it
            continue
        task_id = task.id
        todo += [(task, task_id, a) for a in range(attempts) if (task_id, a) not in done]
    tools_of: dict[str, list[ToolSpec]] = {}  # by agent id: built once, not once per episode
    for agent_id in dict.fromkeys(task.agent_id for task, _, _ in todo):
        tools_of[agent_id] = agent_tools(agents_by_id[agent_id], tools_by_id)
        for tool in tools_of[agent_id]:
            runtime.executors.for_tool(tool)  # every tool has an executor, or fail before starting
    requested = (len(tasks) - unplayable) * attempts
    reasons: Counter[str] = Counter()
    usage = Usage()
    start = time.perf_counter()
    queue: asyncio.Queue[tuple[Task, str, int]] = asyncio.Queue()
    for item in todo:
        queue.put_nowait(item)

    async def worker(writer: TrajectoryWriter) -> None:
        nonlocal usage
        while not queue.empty():
            task, task_id, attempt = queue.get_nowait()
            traj = await run_episode(
                task,
                agents_by_id[task.agent_id],
                tools_of[task.agent_id],
                attempt,
                runtime,
                config.limits,
                run_key,
                config.models,
                task_id=task_id,
                agent_id=task.agent_id,  # the key of agents_by_id: the agent's id
            )
            await writer.write(trajectory_values(traj))
            reasons[traj.end_reason] += 1
            usage = usage.add(traj.usage)
            if on_done is not None:
                on_done(traj)

    async with TrajectoryWriter(store) as writer:
        await asyncio.gather(*(worker(writer) for _ in range(min(config.max_in_flight, len(todo)))))
    wall = time.perf_counter() - start
    return RolloutSummary(
        run_key=run_key,
        requested=requested,
        already_done=requested - len(todo),
        ran=len(todo),
        end_reasons=dict(sorted(reasons.items())),
        wall_s=round(wall, 3),
        trajectories_per_s=round(len(todo) / wall, 2) if wall > 0 and todo else 0.0,
        usage=usage,
        without_blueprint=unplayable,
    )
