"""What a pipeline run keeps of its judged attempts while it samples: ids and counts, not bodies.

Sampling hands over each task's judged attempts once all of them are made (`Judgements.add`). The
run keeps the (trajectory id, verdict id) pair of each (the export reads the bodies back from the
store in batches, and the run row lists the trajectory ids), the errors of attempts that ended in an
infrastructure failure (the outcome's table), and the sampling statistics' counts
(`judges.sampling.SamplingTally`). The trajectories and verdicts themselves stay in the store, so
a run of 100,000 attempts holds two ids per attempt, not the attempts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from judges import AttemptOutcome, SamplingStats
from judges.sampling import SamplingTally
from toolforge.core.types import Task
from toolforge.pipeline.attempts import Judged


@dataclass
class Judgements:
    """Every judged attempt of the run, as ids and counts; `k` is the sampling's attempts per task."""

    k: int
    tally: SamplingTally = field(init=False)
    judged: list[tuple[str, str]] = field(default_factory=list)  # (trajectory id, verdict id)
    infra: list[tuple[str, str]] = field(default_factory=list)  # ("rollouts", error) per infra_error

    def __post_init__(self) -> None:
        self.tally = SamplingTally(self.k)

    def add(self, task: Task, pairs: Sequence[Judged]) -> None:
        """All the judged attempts of `task`, in attempt order."""
        self.tally.add(
            [AttemptOutcome.of(task.id, t.attempt, v, task.domain, task.difficulty) for t, v in pairs]
        )
        self.judged += [(t.id, v.id) for t, v in pairs]
        self.infra += [
            ("rollouts", t.error or "infra_error") for t, _ in pairs if t.end_reason == "infra_error"
        ]

    def stats(self) -> SamplingStats:
        return self.tally.stats()
