"""One exportable item: a trajectory with its verdict, task and agent, read from the store."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from toolforge.core.store import Store
from toolforge.core.types import Agent, Task, ToolSpec, Trajectory, Verdict
from toolforge.export.config import ExportFilter


@dataclass(frozen=True)
class ExportRecord:
    trajectory: Trajectory
    verdict: Verdict | None = None
    task: Task | None = None
    agent: Agent | None = None
    tool_sources: tuple[str, ...] = field(default_factory=tuple)
    # The domains of the agent's tools: an agent of one domain may hold a tool of another, and a
    # held-out domain must not reach the training rows through such a tool.
    tool_domains: tuple[str, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return self.trajectory.id

    @property
    def domain(self) -> str:
        if self.task is not None and self.task.domain:
            return self.task.domain
        return self.agent.domain if self.agent is not None else ""

    @property
    def domains(self) -> set[str]:
        """Every domain the record touches: its own and its tools'."""
        return {self.domain, *self.tool_domains} - {""}

    @property
    def score(self) -> float:
        return self.verdict.score if self.verdict is not None else 0.0

    @property
    def accepted(self) -> bool:
        return self.verdict is not None and self.verdict.accepted

    def metadata(self) -> dict[str, Any]:
        traj, task, verdict = self.trajectory, self.task, self.verdict
        return {
            "task_id": traj.task_id,
            "agent_id": traj.agent_id,
            "attempt": traj.attempt,
            "domain": self.domain,
            "difficulty": task.difficulty if task is not None else "",
            "task_source": task.source if task is not None else "",
            "tool_sources": list(self.tool_sources),
            "end_reason": traj.end_reason,
            "models": dict(sorted(traj.models.items())),
            "judge": {
                "accepted": self.accepted,
                "score": self.score,
                "judge_key": verdict.judge_key if verdict is not None else "",
                "checks": {c.check: {"passed": c.passed, "score": c.score} for c in verdict.checks}
                if verdict is not None
                else {},
            },
        }


def keep(record: ExportRecord, flt: ExportFilter) -> str | None:
    """None when `record` passes the filter, else the name of the filter that drops it."""
    if flt.accepted_only and not record.accepted:
        return "accepted_only"
    if record.score < flt.min_score:
        return "min_score"
    if flt.domains is not None and record.domain not in flt.domains:
        return "domains"
    if record.domains & set(flt.exclude_domains):
        return "exclude_domains"
    if flt.task_sources is not None and (record.task is None or record.task.source not in flt.task_sources):
        return "task_sources"
    if flt.tool_sources is not None and not set(record.tool_sources) & set(flt.tool_sources):
        return "tool_sources"
    return None


def load_records(
    store: Store,
    run_key: str | None = None,
    judge_key: str | None = None,
    trajectory_ids: set[str] | None = None,
) -> list[ExportRecord]:
    """Every trajectory of `run_key` (all when None; only `trajectory_ids` when given) with its
    verdict under `judge_key`.

    Without a judge key a trajectory judged under several configs is an error: name the one to use.
    """
    where: dict[str, Any] = {"run_key": run_key} if run_key is not None else {}
    trajectories = store.list(Trajectory, **where)
    if trajectory_ids is not None:
        trajectories = [t for t in trajectories if t.id in trajectory_ids]
    verdicts: dict[str, list[Verdict]] = {}
    by_judge: dict[str, Any] = {"judge_key": judge_key} if judge_key is not None else {}
    for verdict in store.list(Verdict, **by_judge):
        verdicts.setdefault(verdict.trajectory_id, []).append(verdict)
    tasks = {t.id: t for t in store.list(Task)}
    agents = {a.id: a for a in store.list(Agent)}
    tools = {t.id: t for t in store.list(ToolSpec)}
    records = []
    for traj in trajectories:
        found = verdicts.get(traj.id, [])
        if len(found) > 1:
            keys = sorted(v.judge_key for v in found)
            raise ValueError(
                f"trajectory {traj.id} has verdicts under several judge keys {keys}: pass judge_key"
            )
        agent = agents.get(traj.agent_id)
        records.append(
            ExportRecord(
                trajectory=traj,
                verdict=found[0] if found else None,
                task=tasks.get(traj.task_id),
                agent=agent,
                **_tool_fields(agent, tools),
            )
        )
    return sorted(records, key=lambda r: r.id)


def _tool_fields(agent: Agent | None, tools: Mapping[str, ToolSpec]) -> dict[str, tuple[str, ...]]:
    """The sources and domains of the agent's tools, as `ExportRecord` fields."""
    held = [tools[t] for t in agent.tool_ids if t in tools] if agent is not None else []
    return {
        "tool_sources": tuple(sorted({t.source for t in held})),
        "tool_domains": tuple(sorted({t.domain or t.origin or t.source for t in held} - {""})),
    }


def record_batches(
    store: Store,
    judged: list[tuple[str, str]],
    agents: dict[str, Agent],
    tools: Mapping[str, ToolSpec],
    batch_size: int = 500,
) -> Iterator[list[ExportRecord]]:
    """The records of `judged` ((trajectory id, verdict id) pairs), in trajectory id order, read
    from the store `batch_size` at a time: a run's export holds one batch, never the run."""
    pairs = sorted(judged)
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start : start + batch_size]
        trajectories = store.get_many(Trajectory, [t for t, _ in chunk])
        verdicts = store.get_many(Verdict, [v for _, v in chunk])
        tasks = store.get_many(Task, {t.task_id for t in trajectories.values()})
        batch = []
        for traj_id, verdict_id in chunk:
            traj = trajectories.get(traj_id)
            if traj is None:
                raise RuntimeError(f"trajectory {traj_id} was judged but is not in the store")
            agent = agents.get(traj.agent_id)
            batch.append(
                ExportRecord(
                    trajectory=traj,
                    verdict=verdicts.get(verdict_id),
                    task=tasks.get(traj.task_id),
                    agent=agent,
                    **_tool_fields(agent, tools),
                )
            )
        yield batch
