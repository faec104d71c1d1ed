"""How every command that processes items ends: what failed, grouped by reason with counts, an
example item and the fix, then the exit code that tells the truth — 1 when a stage made nothing
while items failed, or failed more than `--max-failure-rate` of its items. `generate` prints its
pipeline's groups through `print_failure_groups` too, so every command reads the same."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated

import typer

from toolforge.commands.common import console, fail
from toolforge.core.store import Store
from toolforge.pipeline.outcome import Failed, FailureGroup, failure_groups, failure_ids, stage_problems

DEFAULT_MAX_FAILURE_RATE = 0.5  # the pipeline config's default, for the commands one stage at a time
SHOWN_GROUPS = 20

MaxFailureRateOption = Annotated[
    float,
    typer.Option(
        "--max-failure-rate",
        min=0.0,
        max=1.0,
        help="Exit 1 when more than this share of the items failed (the failures are listed by reason).",
    ),
]


def print_failure_groups(groups: Sequence[FailureGroup]) -> None:
    """`failures: none`, or one line per reason: count, stage, reason, an example item, the fix.
    Lines, not a table: each stays whole (greppable) however narrow the terminal."""
    if not groups:
        console.print("failures: none")
        return
    console.print(f"failures: {sum(g.count for g in groups)}, by reason")
    for group in groups[:SHOWN_GROUPS]:
        example = f" (e.g. {group.example[:80]})" if group.example else ""
        console.print(
            f"  {group.count} × {group.stage}: {group.reason}{example}; fix: {group.fix}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
    if len(groups) > SHOWN_GROUPS:
        console.print(f"  … and {len(groups) - SHOWN_GROUPS} more reasons: `toolforge stats` lists them")


class FailureSummary:
    """Made before a command's work starts (it notes the failures already stored), told of the
    failures the command sees itself (`add`), and `finish`ed with each stage's counts."""

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self.known = failure_ids(store) if store is not None else set()
        self.failed: list[Failed] = []

    def add(self, stage: str, reason: str, item: str = "", fix: str = "", count: int = 1) -> None:
        self.failed.extend([Failed(stage, reason, item, fix)] * count)

    def groups(self) -> list[FailureGroup]:
        """This invocation's failures: the rows stored since it started, and those added."""
        return failure_groups(self.store, self.known, self.failed)

    def finish(
        self,
        counts: Mapping[str, tuple[int, int]],
        max_failure_rate: float = DEFAULT_MAX_FAILURE_RATE,
        problems: Sequence[str] = (),
    ) -> None:
        """Print the failures; exit 1 naming the problems when a stage (counts: made, failed) made
        nothing or passed the threshold, or when the command found `problems` of its own."""
        groups = self.groups()
        print_failure_groups(groups)
        found = [*stage_problems(counts, max_failure_rate), *problems]
        if found:
            fail("; ".join(found) + (" (the failures are listed above by reason)" if groups else ""), code=1)
