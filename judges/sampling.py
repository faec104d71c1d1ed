"""Rejection sampling (K2 §3.1.1): up to k attempts per task, stop at the n-th accepted, keep all.

`rejection_sample` is the one sampler: in rounds, round r plays and judges attempt r of every
task that still needs one, all in one call (so a round's episodes are in flight together), and a
task leaves once n of its attempts are accepted. Tool episodes, code tasks and a Ray cluster's
rounds all go through it; only the round function differs. Every attempt and its verdict are
kept by the round function (the pipeline stores them), so a resumed run finds them and pays for
nothing twice. `sample_task` is the same sampler for one task.

`sampling_stats` turns the outcomes into the numbers the summary and the dataset card show:
acceptance rate, pass@j for j = 1..k (a task passes at j when one of its first j attempts was
accepted — exact here, since attempts stop only after an acceptance), and failure reasons by
check, by domain and by difficulty.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from toolforge.core.types import Verdict


class SamplingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=3, ge=1, description="k: at most this many attempts per task")
    stop_after_accepted: int = Field(default=1, ge=1, description="n: stop once this many are accepted")


class AttemptOutcome(BaseModel):
    """One judged attempt, with what the statistics group by."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    attempt: int
    domain: str = ""
    difficulty: str = ""
    accepted: bool
    score: float
    failed_checks: list[str] = Field(default_factory=list)
    error: str | None = None

    @classmethod
    def of(
        cls, task_id: str, attempt: int, verdict: Verdict, domain: str = "", difficulty: str = ""
    ) -> AttemptOutcome:
        failed = verdict.failed_checks()
        if verdict.error and "judge_error" not in failed:
            failed = [*failed, "judge_error"]
        return cls(
            task_id=task_id,
            attempt=attempt,
            domain=domain,
            difficulty=difficulty,
            accepted=verdict.accepted,
            score=verdict.score,
            failed_checks=failed,
            error=verdict.error,
        )


J = TypeVar("J")  # what a round answers per task: a verdict, or an attempt with its verdict
# One round: (the task ids that still need an attempt, the attempt index) -> the judged attempt of each.
Round = Callable[[list[str], int], Awaitable[Mapping[str, J]]]


async def rejection_sample(
    task_ids: Sequence[str], play_round: Round[J], cfg: SamplingConfig, accepted: Callable[[J], bool]
) -> dict[str, list[J]]:
    """Every task's judged attempts, in order: attempts 0, 1, ... until `stop_after_accepted` are
    accepted or `attempts` were made. Round r asks `play_round` for attempt r of each task still
    in play."""
    made: dict[str, list[J]] = {task_id: [] for task_id in task_ids}
    kept = dict.fromkeys(task_ids, 0)  # accepted so far, by task
    for index in range(cfg.attempts):
        pending = [t for t in made if len(made[t]) == index and kept[t] < cfg.stop_after_accepted]
        if not pending:
            break
        judged = await play_round(pending, index)
        missing = [t for t in pending if t not in judged]
        if missing:
            raise RuntimeError(
                f"round {index} answered no attempt for {len(missing)} task(s), e.g. {missing[0]}"
            )
        for task_id in pending:
            made[task_id].append(judged[task_id])
            kept[task_id] += accepted(judged[task_id])
    return made


Attempt = Callable[[int], Awaitable[Verdict]]


async def sample_task(attempt: Attempt, cfg: SamplingConfig) -> list[Verdict]:
    """Run attempts 0, 1, ... (each rolled out and judged by `attempt`) until enough are accepted."""

    async def one(pending: list[str], index: int) -> dict[str, Verdict]:
        return {task_id: await attempt(index) for task_id in pending}

    return (await rejection_sample(["task"], one, cfg, lambda v: v.accepted))["task"]


class GroupStats(BaseModel):
    attempts: int = 0
    accepted: int = 0
    tasks: int = 0
    tasks_passed: int = 0
    failures: dict[str, int] = Field(default_factory=dict)  # failed check -> rejected attempts

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.attempts if self.attempts else 0.0


class SamplingStats(BaseModel):
    tasks: int
    attempts: int
    accepted: int
    acceptance_rate: float
    pass_at: dict[int, float]  # j -> fraction of tasks with an accepted attempt among the first j
    failures_by_check: dict[str, int]
    by_domain: dict[str, GroupStats]
    by_difficulty: dict[str, GroupStats]
    judge_errors: int


def sampling_stats(outcomes: Iterable[AttemptOutcome], k: int | None = None) -> SamplingStats:
    by_task: dict[str, list[AttemptOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_task[outcome.task_id].append(outcome)
    tally = SamplingTally(k)
    for attempts in by_task.values():
        tally.add(attempts)
    return tally.stats()


# Where a group's failed check was first met, in the order the whole-list statistics walk the
# attempts (task id, attempt, position in its failed checks): its place in `GroupStats.failures`.
FirstSeen = tuple[str, int, int]


class SamplingTally:
    """`sampling_stats`, folded one task at a time: a run of 100,000 attempts keeps counts (a few
    per group and check), never the outcomes. `add` takes all the judged attempts of one task;
    tasks may come in any order and the statistics are the same, dict order included."""

    def __init__(self, k: int | None = None) -> None:
        self.k = k
        self.tasks = self.attempts = self.accepted = self.judge_errors = self.max_attempts = 0
        self.first_accepted: Counter[int] = Counter()  # attempt index of a task's first acceptance
        self.failures: Counter[str] = Counter()
        self.groups: dict[str, dict[str, GroupStats]] = {"domain": {}, "difficulty": {}}
        self.first_seen: dict[tuple[str, str, str], FirstSeen] = {}

    def add(self, attempts: Sequence[AttemptOutcome]) -> None:
        if not attempts:
            return
        attempts = sorted(attempts, key=lambda o: o.attempt)
        self.tasks += 1
        self.attempts += len(attempts)
        accepted = [o.attempt for o in attempts if o.accepted]
        self.accepted += len(accepted)
        if accepted:
            self.first_accepted[min(accepted)] += 1
        self.judge_errors += sum(1 for o in attempts if o.error)
        self.max_attempts = max(self.max_attempts, *(o.attempt + 1 for o in attempts))
        self.failures.update(check for o in attempts if not o.accepted for check in o.failed_checks)
        first = attempts[0]
        for axis, name in (("domain", first.domain or "-"), ("difficulty", first.difficulty or "-")):
            group = self.groups[axis].setdefault(name, GroupStats())
            group.tasks += 1
            group.tasks_passed += bool(accepted)
            group.attempts += len(attempts)
            group.accepted += len(accepted)
            for o in attempts:
                if o.accepted:
                    continue
                for i, check in enumerate(o.failed_checks):
                    group.failures[check] = group.failures.get(check, 0) + 1
                    seen = (o.task_id, o.attempt, i)
                    key = (axis, name, check)
                    self.first_seen[key] = min(self.first_seen.get(key, seen), seen)

    def stats(self) -> SamplingStats:
        k = self.k or self.max_attempts
        passed = 0
        pass_at = {}
        for j in range(1, k + 1):
            passed += self.first_accepted.get(j - 1, 0)
            pass_at[j] = passed / self.tasks if self.tasks else 0.0
        return SamplingStats(
            tasks=self.tasks,
            attempts=self.attempts,
            accepted=self.accepted,
            acceptance_rate=self.accepted / self.attempts if self.attempts else 0.0,
            pass_at=pass_at,
            failures_by_check=dict(sorted(self.failures.items())),
            by_domain=self._ordered("domain"),
            by_difficulty=self._ordered("difficulty"),
            judge_errors=self.judge_errors,
        )

    def _ordered(self, axis: str) -> dict[str, GroupStats]:
        """The groups by name; each group's failures in the order they were first met."""
        out = {}
        for name, group in sorted(self.groups[axis].items()):
            order = sorted(group.failures, key=lambda check: self.first_seen[axis, name, check])
            out[name] = group.model_copy(update={"failures": {c: group.failures[c] for c in order}})
        return out
