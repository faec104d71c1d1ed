"""How a run ended, told truthfully: failures grouped by reason with counts and a fix, and the
problems that make the command exit non-zero (a stage that produced nothing, a failure rate over
the configured threshold)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, select

from toolforge.core.store import FailureRow, Store

# (what a reason contains, the fix to print): first match wins.
FIXES: tuple[tuple[str, str], ...] = (
    ("no chain", "the agents' tools do not chain for this difficulty: add tools, raise agents.max_tools, "
     "or drop the difficulty from tasks.difficulties"),
    ("StructuredOutputError", "the model's replies did not match the schema: use a stronger model or raise "
     "its max_tokens"),
    ("invalid structured output", "the model's replies did not match the schema: use a stronger model or "
     "raise its max_tokens"),
    ("Timeout", "the call timed out: raise timeout_s or lower concurrency"),
    ("timed out", "raise the timeout (tools.start_timeout_s / list_timeout_s, or the model's timeout_s)"),
    ("gave up after", "the endpoint kept failing (429/5xx): retry later, lower concurrency or raise max_retries"),
    ("stdout", "the server writes something other than MCP JSON-RPC to stdout: send its logs to stderr"),
    ("harvest", "check the server's command in the servers file (`toolforge tools harvest` shows its error)"),
    ("infra_error", "an episode's infrastructure failed (sandbox, server, model): see the reason"),
)  # fmt: skip
DEFAULT_FIX = "see the failures table (`toolforge stats`) for the raw output"


def fix_for(stage: str, reason: str) -> str:
    text = f"{stage} {reason}"
    return next((fix for needle, fix in FIXES if needle in text), DEFAULT_FIX)


def reason_key(reason: str) -> str:
    """A reason without its item: the first two `:` parts, numbers and ids collapsed."""
    head = ":".join(reason.split(":")[:2]).strip()
    head = re.sub(r"\b[a-z]+_[0-9a-f]{8,}\b", "<id>", head)
    head = re.sub(r"\d+(\.\d+)?", "N", head)
    return head[:100]


@dataclass
class FailureGroup:
    stage: str
    reason: str
    count: int
    fix: str
    example: str = ""  # one item that failed this way (an id, a file line, a server)


@dataclass(frozen=True)
class Failed:
    """A failure told by the command itself rather than stored as a row: an episode that ended in
    `infra_error`, a rejected tool, an eval case whose model call failed. `fix` overrides the
    table of fixes when the command knows better."""

    stage: str
    reason: str
    item: str = ""
    fix: str = ""


@dataclass
class Outcome:
    groups: list[FailureGroup] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def failure_ids(store: Store) -> set[str]:
    """The ids of every stored failure (ids only: rows carry raw outputs)."""
    with Session(store.engine) as session:
        return set(session.exec(select(FailureRow.id)))


def failure_groups(
    store: Store | None, known: set[str], extra: Sequence[tuple[str, str] | Failed] | None = None
) -> list[FailureGroup]:
    """Failures stored since `known` was taken (this invocation's), plus `extra` ((stage, reason)
    pairs or `Failed`), grouped by stage and reason, most frequent first."""
    rows = [r for r in store.rows(FailureRow) if r.id not in known] if store is not None else []
    failed = [Failed(r.stage, r.reason, r.item_id) for r in rows]
    failed += [f if isinstance(f, Failed) else Failed(*f) for f in extra or []]
    counts: Counter[tuple[str, str]] = Counter()
    first: dict[tuple[str, str], Failed] = {}
    for f in failed:
        key = (f.stage, reason_key(f.reason))
        counts[key] += 1
        first.setdefault(key, f)
    return [
        FailureGroup(
            stage, reason, n, first[stage, reason].fix or fix_for(stage, reason), first[stage, reason].item
        )
        for (stage, reason), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def judge_outcome(
    stage_counts: dict[str, tuple[int, int]], exported: int, max_failure_rate: float
) -> list[str]:
    """The problems that fail the pipeline: the stages' (`stage_problems`) and an empty dataset."""
    problems = stage_problems(stage_counts, max_failure_rate)
    if exported == 0:
        problems.append("the dataset is empty: no attempt was accepted")
    return problems


def stage_problems(stage_counts: Mapping[str, tuple[int, int]], max_failure_rate: float) -> list[str]:
    """The problems that fail a command. `stage_counts` maps a stage to (items made, failed): a
    stage that made nothing while some failed, or whose failures pass `max_failure_rate`."""
    problems = []
    for stage, (made, failed) in stage_counts.items():
        if made == 0 and failed:
            problems.append(f"stage {stage} produced nothing ({failed} failed)")
        elif made + failed and failed / (made + failed) > max_failure_rate:
            rate = failed / (made + failed)
            problems.append(
                f"stage {stage}: {failed} of {made + failed} failed ({rate:.0%} > max_failure_rate "
                f"{max_failure_rate:.0%})"
            )
    return problems
