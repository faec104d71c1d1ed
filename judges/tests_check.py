"""The tests check: a code task's attempt graded by its tests in a fresh sandbox.

A code task is a `Task` with difficulty "code" whose `metadata["code_task"]` names a
`sandbox.CodeTask`; the attempt's work is the unified diff in `trajectory.final_state["patch"]`
(the workspace diff at the end of the episode). Grading is the sandbox's own (SWE-bench style):
prepare the repository, apply the patch, restore the test files, run FAIL_TO_PASS and
PASS_TO_PASS; passed only when resolved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from sandbox import Backend, CodeTask, GradeReport, SandboxSpec, apply_patch, grade, prepare
from toolforge.core.errors import ConfigError
from toolforge.core.types import CheckResult, Task, Trajectory


class SandboxGrader:
    def __init__(
        self, backend: Backend, code_tasks: Mapping[str, CodeTask], spec: SandboxSpec | None = None
    ) -> None:
        self.backend = backend
        self.code_tasks = dict(code_tasks)
        self.spec = spec or SandboxSpec()

    async def __call__(self, traj: Trajectory, task: Task) -> CheckResult | None:
        """None for a task that is not a code task."""
        ref = task.metadata.get("code_task")
        if task.difficulty != "code" and ref is None:
            return None
        code_task = self.code_tasks.get(str(ref))
        if code_task is None:
            raise ConfigError(
                f"task {task.id} names code task {ref!r}, which was not loaded: add it to the code tasks"
            )
        patch = str(traj.final_state.get("patch") or "")
        applied, report = await asyncio.to_thread(self._grade, code_task, patch)
        return _result(report, applied)

    def _grade(self, code_task: CodeTask, patch: str) -> tuple[str | None, GradeReport]:
        with self.backend.start(self.spec) as box:
            prepare(box, code_task)
            problem = None
            if patch.strip():
                done = apply_patch(box, patch)
                if not done.ok:
                    problem = f"the patch does not apply: {done.output[-300:]}"
            return problem, grade(box, code_task)


def _result(report: GradeReport, patch_problem: str | None) -> CheckResult:
    (f2p, n_f2p), (p2p, n_p2p) = report.fail_to_pass, report.pass_to_pass
    total = n_f2p + n_p2p
    reason = report.reason if patch_problem is None else f"{patch_problem}; {report.reason}"
    return CheckResult(
        check="tests",
        passed=report.resolved and patch_problem is None,
        score=round((f2p + p2p) / total, 4) if total else 0.0,
        reason=f"{report.status}: {reason}",
        details={
            "status": report.status,
            "fail_to_pass": [f2p, n_f2p],
            "pass_to_pass": [p2p, n_p2p],
            "tests": {case.test: case.outcome for case in report.tests},
            "tests_ran": report.tests_ran,
        },
    )
