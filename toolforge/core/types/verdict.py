"""Verdict: the judges' per-check results on one trajectory, and whether it is kept."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from toolforge.core.ids import content_id
from toolforge.core.types.base import Record


def verdict_id(trajectory_id: str, judge_key: str) -> str:
    """The id of the verdict on `trajectory_id` under the judge config `judge_key`: `Verdict.id`."""
    return content_id("verdict", trajectory_id, judge_key)


class CheckResult(Record):
    check: str  # "rules", "state", "tests", "rubric", ...
    passed: bool
    score: float  # 0..1
    reason: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class Verdict(Record):
    trajectory_id: str
    checks: list[CheckResult]
    score: float
    accepted: bool
    judge_key: str = ""  # fingerprint of the judge config
    error: str | None = None  # a judge that failed is stored, not fatal

    @property
    def id(self) -> str:
        return verdict_id(self.trajectory_id, self.judge_key)

    def failed_checks(self) -> list[str]:
        return [c.check for c in self.checks if not c.passed]
