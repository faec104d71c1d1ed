"""The judge: checks in order, cheapest first, combined into one verdict.

A check that cannot run (the judge model failed, the sandbox died) is stored as a failure and
leaves a verdict with `error` set and `accepted = False`: never an exception out of `judge`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from judges.config import CHECK_ORDER, CheckName, JudgeConfig, is_check_name
from judges.grounding import check_grounding
from judges.rubric import check_rubric
from judges.rules import check_rules
from judges.state import Replay, check_state
from toolforge.core.errors import AuthError, LLMError, ToolforgeError
from toolforge.core.llm.config import LLMConfig
from toolforge.core.llm.protocols import StructuredModel
from toolforge.core.store import Store
from toolforge.core.types import CheckResult, Task, Trajectory, Verdict

logger = logging.getLogger(__name__)

# Grades a code task's attempt (the sandbox runs FAIL_TO_PASS and PASS_TO_PASS); None when the
# task is not a code task.
TestsGrader = Callable[[Trajectory, Task], Awaitable[CheckResult | None]]


class TrajectoryJudge(Protocol):
    """What rejection sampling and the pipeline ask of a judge: a verdict on one attempt, and the
    key that names its verdicts (a changed judge config re-judges). `Judge` is the one we have."""

    key: str

    async def judge(self, traj: Trajectory, task: Task) -> Verdict: ...


class Judge:
    def __init__(
        self,
        cfg: JudgeConfig,
        *,
        replay: Replay | None = None,
        grader: TestsGrader | None = None,
        llm: StructuredModel | None = None,
        llm_cfg: LLMConfig | None = None,
        judge_model: str = "",
        store: Store | None = None,
        run_id: str = "",
    ) -> None:
        if cfg.rubric.enabled and (llm is None or llm_cfg is None):
            raise ValueError(
                "the rubric check needs an LLM client: pass llm= and llm_cfg=, or disable judges.rubric"
            )
        self.cfg = cfg
        self.replay = replay
        self.grader = grader
        self.llm = llm
        self.llm_cfg = llm_cfg
        self.key = cfg.key(judge_model if cfg.rubric.enabled else "")
        self.store = store
        self.run_id = run_id

    async def judge(self, traj: Trajectory, task: Task) -> Verdict:
        results: list[CheckResult] = []
        error: str | None = None
        for name in CHECK_ORDER:
            if not self.cfg.enabled(name):
                continue
            try:
                result = await self._run(name, traj, task)
            except AuthError:
                raise  # a refused key fails every verdict alike: the run stops and says so
            except (LLMError, ToolforgeError, OSError, TimeoutError) as exc:
                message = f"{name}: {type(exc).__name__}: {exc}"
                error = error or message
                raw = getattr(exc, "raw", None)
                logger.warning("judge failed on %s: %s", traj.id, message)
                if self.store is not None:
                    self.store.record_failure("judge", traj.id, message, raw=raw, run_id=self.run_id)
                results.append(CheckResult(check=name, passed=False, score=0.0, reason=f"judge error: {exc}"))
                if name in self.cfg.required:
                    break
                continue
            if result is None:
                continue
            results.append(result)
            if self.cfg.short_circuit and not result.passed and name in self.cfg.required:
                break
        return self._verdict(traj, results, error)

    async def _run(self, name: CheckName, traj: Trajectory, task: Task) -> CheckResult | None:
        if name == "rules":
            return check_rules(traj, task, self.cfg.rules)
        if name == "grounding":
            return check_grounding(traj, task, self.cfg.grounding)
        if name == "state":
            replay = self.replay if task.blueprint is not None else None
            reference = await replay(task) if replay is not None else None
            return check_state(traj, task, self.cfg.state, reference)
        if name == "tests":
            return await self.grader(traj, task) if self.grader is not None else None
        assert self.llm is not None and self.llm_cfg is not None  # the constructor checked both
        return await check_rubric(traj, task, self.cfg.rubric, self.llm, self.llm_cfg, cache_salt=self.key)

    def _verdict(self, traj: Trajectory, results: list[CheckResult], error: str | None) -> Verdict:
        score = self._score(results)
        required = [r for r in results if r.check in self.cfg.required]
        required_ok = all(r.passed for r in required)
        ran_all = not (self.cfg.short_circuit and not required_ok)
        # Only required checks decide: one that is not required (its error, its low score) is
        # reported in the verdict but never vetoes acceptance.
        required_error = error is not None and error.split(":", 1)[0] in self.cfg.required
        gate = self._score(required) if len(required) < len(results) else score
        accepted = not required_error and required_ok and ran_all and gate >= self.cfg.accept_threshold
        return Verdict(
            trajectory_id=traj.id,
            checks=results,
            score=round(score, 4),
            accepted=accepted,
            judge_key=self.key,
            error=error,
        )

    def _score(self, results: list[CheckResult]) -> float:
        """The weighted mean score of the applicable checks among `results`."""
        applicable = [r for r in results if r.details.get("applicable", True)]
        weights = [self.cfg.weights.get(r.check, 1.0) if is_check_name(r.check) else 1.0 for r in applicable]
        total = sum(weights)
        return sum(w * r.score for w, r in zip(weights, applicable, strict=True)) / total if total else 0.0
