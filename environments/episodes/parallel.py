"""Playing episodes, in this process or across several worker processes on one machine: the one
way the pipeline and `toolforge rollout` both play them.

One Python process tops out near 2,000 model calls/s: at about 0.5 ms of CPU per call (HTTP,
cache, accounting, the runner's own turn) its event loop is saturated, and episodes then wait on
the loop rather than on the model. `open_players(workers=N)` (and `run_episodes`, for one call) starts `N - 1` spawned children
beside this process, each with its own event loop, LLM client and share of `max_in_flight`,
all writing to the same store; `Players.play` then hands each its share of the tasks, as often
as the caller asks (the pipeline asks once per rejection-sampling round).

- Shares are whole tasks, split by `environments.episodes.work.split_work` (task i goes to worker i mod
  workers, as it goes to unit i mod units on a Ray cluster), so every attempt of a task is
  played by one worker; trajectory ids do not depend on the worker, so a killed run resumes
  exactly, with any number of workers.
- Every worker opens its runtime first (imports, LLM client, MCP servers); episodes start in all
  of them at once, and the summary's wall time runs from that start to the last trajectory.
- A budget is split evenly: each worker's client enforces its part.
- The store must be one every process can open: a file or a server (not `sqlite://:memory:`).
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import threading
import time
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from multiprocessing.connection import Connection
from typing import Any

from environments.episodes.config import RolloutConfig
from environments.episodes.runner import EpisodeSettings, RolloutSummary, play
from environments.episodes.runtime import Runtime, open_runtime
from environments.episodes.work import split_work
from toolforge.core import aio
from toolforge.core.errors import ConfigError
from toolforge.core.llm import Budget, RolesConfig
from toolforge.core.runtime import tune_gc
from toolforge.core.store import Store
from toolforge.core.types import Agent, Task, ToolSpec, Usage

ProgressSink = Callable[[int], Any]


def shares(tasks: Sequence[Task], workers: int, key: str = "") -> list[list[Task]]:
    """One share per worker, split as a Ray run splits its units (`environments.episodes.work`)."""
    by_id = {t.id: t for t in tasks}
    units = split_work("episodes", key, list(by_id), workers)
    return [[by_id[i] for i in unit.task_ids] for unit in units] + [[] for _ in range(workers - len(units))]


def split_budget(budget: Budget | None, workers: int) -> Budget | None:
    if budget is None:
        return None
    return Budget(
        max_cost_usd=None if budget.max_cost_usd is None else budget.max_cost_usd / workers,
        max_tokens=None if budget.max_tokens is None else budget.max_tokens // workers,
    )


class Players:
    """Plays episodes in this process with one runtime (tool episodes, or code tasks' sandboxes)."""

    def __init__(
        self,
        store: Store,
        agents: Sequence[Agent],
        tools: Sequence[ToolSpec],
        runtime: Runtime,
        config: EpisodeSettings,
    ) -> None:
        self.store, self.agents, self.tools = store, agents, tools
        self.runtime, self.config = runtime, config

    async def play(
        self, tasks: Sequence[Task], attempts: int = 1, on_progress: ProgressSink | None = None
    ) -> RolloutSummary:
        """Every (task, attempt < `attempts`) the store lacks, played and stored;
        `on_progress(n)` hears of finished trajectories."""
        return await play(
            self.store, tasks, self.agents, self.tools, self.runtime, self.config, attempts,
            on_done=(lambda _t: on_progress(1)) if on_progress is not None else None,
        )  # fmt: skip


class ProcessPlayers(Players):
    """`Players` whose tasks are shared with worker processes, started once and kept."""

    def __init__(self, own: Players, children: list[tuple[Any, Connection]], key: str) -> None:
        super().__init__(own.store, own.agents, own.tools, own.runtime, own.config)
        self.children = children
        self.key = key

    async def play(
        self, tasks: Sequence[Task], attempts: int = 1, on_progress: ProgressSink | None = None
    ) -> RolloutSummary:
        loop = asyncio.get_running_loop()
        own, *others = shares(tasks, len(self.children) + 1, self.key)
        start = time.perf_counter()
        results: list[Any] = [None] * len(self.children)
        listeners = [
            threading.Thread(target=_listen, args=(conn, process, loop, on_progress, results, i), daemon=True)
            for i, (process, conn) in enumerate(self.children)
        ]
        for (_, conn), listener, share in zip(self.children, listeners, others, strict=True):
            listener.start()
            conn.send(("play", share, attempts))
        summary = await super().play(own, attempts, on_progress)
        for listener in listeners:
            await loop.run_in_executor(None, listener.join)
        wall = time.perf_counter() - start
        failed = [r for r in results if r is None or r[0] != "summary"]
        if failed:
            raise _child_failed(failed[0] or ("error", "a worker process ended without a summary"))
        return merge([summary] + [RolloutSummary.model_validate(r[1]) for r in results], wall)


@asynccontextmanager
async def open_players(
    store: Store,
    agents: Sequence[Agent],
    tools: Sequence[ToolSpec],
    config: RolloutConfig,
    roles: RolesConfig | None = None,
    budget: Budget | None = None,
    run_id: str = "",
    workers: int = 1,
) -> AsyncIterator[Players]:
    """Players for `config` in `workers` processes (this one and `workers - 1` children, each with
    its runtime open before this yields)."""
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, got {workers}")
    run_id = run_id or config.run_key()
    if workers == 1:
        async with open_runtime(store, config, roles, budget, run_id) as runtime:
            yield Players(store, agents, tools, runtime, config)
        return
    if store.is_sqlite and store.engine.url.database in (None, "", ":memory:"):
        raise ConfigError("several worker processes need a store they can all open: a file or a server URL")
    part_config = config.model_copy(
        update={"max_in_flight": max(1, math.ceil(config.max_in_flight / workers))}
    )
    part_budget = split_budget(budget, workers)
    context = multiprocessing.get_context("spawn")  # a fork would copy threads and event loops
    children: list[tuple[Any, Connection]] = []
    try:
        for _ in range(workers - 1):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=_child_main,
                args=(store.url, list(agents), list(tools), part_config, roles, part_budget, run_id, theirs),
                daemon=True,
                name="toolforge-rollout-worker",
            )  # fmt: skip
            process.start()
            theirs.close()
            children.append((process, mine))
        loop = asyncio.get_running_loop()
        async with open_runtime(store, part_config, roles, part_budget, run_id) as runtime:
            for process, conn in children:
                message = await loop.run_in_executor(None, _receive, conn, process)
                if message[0] != "ready":
                    raise _child_failed(message)
            yield ProcessPlayers(Players(store, agents, tools, runtime, part_config), children, run_id)
    finally:
        for process, conn in children:
            try:
                conn.send(("stop",))
            except OSError:
                pass  # it has gone already
            conn.close()
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


async def run_episodes(
    store: Store,
    tasks: Sequence[Task],
    agents: Sequence[Agent],
    tools: Sequence[ToolSpec],
    config: RolloutConfig,
    attempts: int = 1,
    roles: RolesConfig | None = None,
    budget: Budget | None = None,
    run_id: str = "",
    workers: int = 1,
    on_progress: ProgressSink | None = None,
) -> RolloutSummary:
    """Build the runtime the config asks for (policy, user, simulator, toolkits, MCP servers; an
    LLM client when a role needs one, from `roles`) in `workers` processes and play every missing
    (task, attempt) once (`open_players`). Returns counts by end reason, throughput and usage;
    `on_progress(n)` hears of finished trajectories."""
    async with open_players(store, agents, tools, config, roles, budget, run_id, workers) as players:
        return await players.play(tasks, attempts, on_progress)


def merge(parts: Sequence[RolloutSummary], wall_s: float) -> RolloutSummary:
    reasons: Counter[str] = Counter()
    usage = Usage()
    for part in parts:
        reasons.update(part.end_reasons)
        usage = usage.add(part.usage)
    ran = sum(p.ran for p in parts)
    return RolloutSummary(
        run_key=parts[0].run_key,
        requested=sum(p.requested for p in parts),
        already_done=sum(p.already_done for p in parts),
        ran=ran,
        end_reasons=dict(sorted(reasons.items())),
        wall_s=round(wall_s, 3),
        trajectories_per_s=round(ran / wall_s, 2) if wall_s > 0 and ran else 0.0,
        usage=usage,
        without_blueprint=sum(p.without_blueprint for p in parts),
    )


def _receive(conn: Connection, process: Any) -> Any:
    try:
        return conn.recv()
    except EOFError:
        return ("error", f"worker process {process.pid} exited (code {process.exitcode}) before answering")


def _listen(
    conn: Connection, process: Any, loop: asyncio.AbstractEventLoop, sink: ProgressSink | None,
    results: list[Any], index: int,
) -> None:  # fmt: skip
    """A child's messages until its summary (or its end): progress goes to the loop's thread."""
    while True:
        message = _receive(conn, process)
        if message[0] == "done":
            if sink is not None:
                loop.call_soon_threadsafe(sink, message[1])
            continue
        results[index] = message
        return


def _child_failed(message: Any) -> RuntimeError:
    return RuntimeError(f"a rollout worker process failed: {message[1] if len(message) > 1 else message}")


def _child_main(
    url: str, agents: list[Agent], tools: list[ToolSpec], config: RolloutConfig,
    roles: RolesConfig | None, budget: Budget | None, run_id: str, conn: Connection,
) -> None:  # fmt: skip
    tune_gc()  # a spawned worker is a process entry point of its own, like the CLI
    try:
        aio.run(_child(url, agents, tools, config, roles, budget, run_id, conn))
    except BaseException as exc:  # reported to the parent, which raises it
        conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"))
    finally:
        conn.close()


async def _child(
    url: str, agents: list[Agent], tools: list[ToolSpec], config: RolloutConfig,
    roles: RolesConfig | None, budget: Budget | None, run_id: str, conn: Connection,
) -> None:  # fmt: skip
    """Open the runtime, say so, then play each share the parent sends until it says stop."""
    store = Store(url)
    loop = asyncio.get_running_loop()
    try:
        async with open_runtime(store, config, roles, budget, run_id) as runtime:
            players = Players(store, agents, tools, runtime, config)
            conn.send(("ready",))
            while True:
                try:
                    message = await loop.run_in_executor(None, conn.recv)
                except EOFError:
                    return  # the parent is gone
                if message[0] != "play":
                    return
                summary = await players.play(message[1], message[2], lambda n: conn.send(("done", n)))
                conn.send(("summary", summary.model_dump(mode="json")))
    finally:
        store.close()
