"""Verdict: the judges' per-check results on one trajectory, and whether it is kept."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from toolforge.core.ids import content_id
from toolforge.core.types.base import Record


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
        return content_id("verdict", self.trajectory_id, self.judge_key)

    def failed_checks(self) -> list[str]:
        return [c.check for c in self.checks if not c.passed]
