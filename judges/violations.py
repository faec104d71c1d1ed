"""What the mechanical checks (rules, grounding) find, and how a list of findings becomes one
`CheckResult`: the first few messages as the reason, every finding in the details."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolforge.core.types import CheckResult

SHOWN = 6  # findings quoted in the reason; the rest are counted


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    penalty: float = 1.0


def violations_result(
    check: str,
    violations: list[Violation],
    *,
    passed: bool,
    score: float,
    clean: str,
    details: dict[str, Any] | None = None,
) -> CheckResult:
    """One check's result; `clean` is the reason when nothing was found."""
    reason = "; ".join(v.message for v in violations[:SHOWN]) or clean
    if len(violations) > SHOWN:
        reason += f"; and {len(violations) - SHOWN} more"
    return CheckResult(
        check=check,
        passed=passed,
        score=round(score, 4),
        reason=reason,
        details={
            "violations": [{"code": v.code, "message": v.message} for v in violations],
            **(details or {}),
        },
    )
