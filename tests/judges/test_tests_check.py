"""The tests check grades code tasks in a real (local, bubblewrap or process) sandbox."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from judges import Judge, JudgeConfig
from judges.tests_check import SandboxGrader
from sandbox import LocalBackend, LocalBackendConfig, load_task
from toolforge.core.types import Message, Rubric, Task, Trajectory, UserGoal

REPO = Path(__file__).resolve().parents[2]
# the test interpreter (a venv over pyenv, with pytest) must be visible inside bubblewrap
BINDS = [*LocalBackendConfig().ro_binds, sys.prefix, sys.base_prefix]


@pytest.fixture(scope="module")
def grader() -> SandboxGrader:
    median = load_task(REPO / "examples" / "code_tasks" / "median").model_copy(
        update={"python": sys.executable}
    )
    return SandboxGrader(LocalBackend(LocalBackendConfig(ro_binds=BINDS)), {median.id: median})


def code_task() -> Task:
    return Task(
        agent_id="coder",
        user_goal=UserGoal(description="Fix stats.median"),
        difficulty="code",
        rubric=Rubric(success_criteria=["the tests pass"]),
        metadata={"code_task": "median"},
    )


def attempt(patch: str) -> Trajectory:
    return Trajectory(
        task_id=code_task().id,
        agent_id="coder",
        attempt=0,
        messages=[Message(role="user", content="Fix it"), Message(role="assistant", content="Fixed.")],
        end_reason="graded",
        final_state={"patch": patch},
    )


async def test_the_gold_patch_passes_and_no_patch_fails(grader: SandboxGrader) -> None:
    gold = grader.code_tasks["median"].gold_patch or ""
    good = await grader(attempt(gold), code_task())
    assert good is not None and good.passed and good.score == 1.0, good.reason
    assert good.details["fail_to_pass"] == [2, 2]
    bad = await grader(attempt(""), code_task())
    assert bad is not None and not bad.passed and bad.details["fail_to_pass"][0] == 0
    assert bad.reason.startswith("not_resolved")


async def test_a_patch_that_does_not_apply_fails(grader: SandboxGrader) -> None:
    result = await grader(attempt("--- a/nothing.py\n+++ b/nothing.py\n@@ -1 +1 @@\n-x\n+y\n"), code_task())
    assert result is not None and not result.passed and "does not apply" in result.reason


async def test_the_judge_runs_the_tests_check_for_code_tasks_only(grader: SandboxGrader) -> None:
    judge = Judge(JudgeConfig.model_validate({"rubric": {"enabled": False}}), grader=grader)
    verdict = await judge.judge(attempt(grader.code_tasks["median"].gold_patch or ""), code_task())
    assert [c.check for c in verdict.checks] == ["rules", "grounding", "state", "tests"] and verdict.accepted
    plain = code_task().model_copy(update={"difficulty": "single_call", "metadata": {}})
    verdict = await judge.judge(attempt(""), plain)
    assert [c.check for c in verdict.checks] == ["rules", "grounding", "state"]
