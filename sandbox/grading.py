"""Prepare a workspace for a code task, apply a patch, and grade it with the task's tests.

Grading follows SWE-bench: RESOLVED when every FAIL_TO_PASS and every PASS_TO_PASS test passes,
PARTIAL when all PASS_TO_PASS pass and some (not all) FAIL_TO_PASS do, NOT_RESOLVED otherwise.
Per-test outcomes come from a small pytest plugin that writes a JSON report carrying a fresh
nonce; a test missing from that report — or a run with no report at all (the tests never
executed) — counts as not run, and a test that did not run cannot pass.
"""

from __future__ import annotations

import json
import secrets
from typing import Literal

from pydantic import BaseModel, Field

from sandbox.base import Sandbox
from sandbox.code_tasks import CodeTask
from sandbox.models import ExecResult

GRADE_DIR = ".toolforge_grade"
PLUGIN = """\
import json, os
_tests, _collect_errors = {}, []
def pytest_runtest_logreport(report):
    if report.failed:
        _tests[report.nodeid] = "failed" if report.when == "call" else "error"
    elif report.skipped:
        _tests.setdefault(report.nodeid, "skipped")
    elif report.when == "call":
        _tests.setdefault(report.nodeid, "passed")
def pytest_collectreport(report):
    if report.failed:
        _collect_errors.append(report.nodeid)
def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["TF_GRADE_REPORT"], "w") as fh:
        json.dump({"nonce": os.environ["TF_GRADE_NONCE"], "tests": _tests,
                   "collect_errors": _collect_errors, "exitstatus": int(exitstatus)}, fh)
"""

Outcome = Literal["passed", "failed", "error", "skipped", "not_run"]
Status = Literal["resolved", "partial", "not_resolved"]
# FAIL_TO_PASS tests fail before the change and must pass after it; PASS_TO_PASS must keep passing.
Kind = Literal["FAIL_TO_PASS", "PASS_TO_PASS"]


class CaseResult(BaseModel):
    test: str
    kind: Kind
    outcome: Outcome

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


class GradeReport(BaseModel):
    task_id: str
    status: Status
    tests: list[CaseResult]
    fail_to_pass: tuple[int, int] = Field(description="(passed, total)")
    pass_to_pass: tuple[int, int] = Field(description="(passed, total)")
    tests_ran: bool
    exit_code: int
    timed_out: bool
    duration_s: float
    reason: str
    log_tail: str = ""

    @property
    def resolved(self) -> bool:
        return self.status == "resolved"


def prepare(sandbox: Sandbox, task: CodeTask, timeout_s: float = 120.0) -> None:
    """Write the repository into the workspace, commit it to a fresh git repo, run the setup."""
    sandbox.write_files(task.files)
    init = sandbox.exec(
        "git init -q && git config user.email sandbox@toolforge && git config user.name sandbox"
        f" && echo {GRADE_DIR}/ >> .git/info/exclude && git add -A && git commit -qm base",
        timeout_s=timeout_s,
    )
    if not init.ok:
        raise RuntimeError(f"git init of task {task.id} failed: {init.output[-500:]}")
    for command in task.setup:
        result = sandbox.exec(command, timeout_s=timeout_s)
        if not result.ok:
            raise RuntimeError(f"setup command {command!r} of task {task.id} failed: {result.output[-1000:]}")


def apply_patch(sandbox: Sandbox, patch: str, timeout_s: float = 60.0) -> ExecResult:
    """`git apply` a unified diff in the workspace; the result says whether it applied."""
    return sandbox.exec(
        ["git", "apply", "--whitespace=nowarn", "-"], stdin=patch.encode(), timeout_s=timeout_s
    )


def workspace_diff(sandbox: Sandbox, timeout_s: float = 60.0) -> str:
    """The changes made in the workspace since `prepare`, new files included, as a unified diff."""
    result = sandbox.exec("git add -A -N . && git -c core.quotepath=off diff HEAD", timeout_s=timeout_s)
    return result.stdout if result.ok else ""


def grading_command(task: CodeTask) -> list[str]:
    """The pytest command grading runs (on the test files, so a renamed test is simply not run)."""
    return [
        task.python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "tf_grade_plugin",
        *task.test_files,
    ]


def grade(sandbox: Sandbox, task: CodeTask) -> GradeReport:
    """Restore the task's test files, run them, and grade per test."""
    nonce = secrets.token_hex(16)
    report_path = f"{GRADE_DIR}/report-{nonce}.json"
    sandbox.write_files(
        {**{f: task.files[f] for f in task.test_files}, f"{GRADE_DIR}/tf_grade_plugin.py": PLUGIN}
    )
    run = sandbox.exec(
        grading_command(task),
        timeout_s=task.test_timeout_s,
        env={
            "PYTHONPATH": f"{sandbox.workdir}/{GRADE_DIR}",
            "TF_GRADE_REPORT": f"{sandbox.workdir}/{report_path}",
            "TF_GRADE_NONCE": nonce,
        },
    )
    outcomes: dict[str, Outcome] = {}  # as the plugin reports them; CaseResult validates each
    reason = ""
    try:
        data = json.loads(sandbox.read_file(report_path))
        if data.get("nonce") != nonce:
            raise ValueError("report nonce mismatch")
        outcomes = dict(data["tests"])
        tests_ran = True
    except (FileNotFoundError, ValueError, KeyError, TypeError) as exc:
        tests_ran = False
        reason = f"the tests never executed ({type(exc).__name__}: {exc}); nothing can count as passed. "
    sandbox.exec(["rm", "-rf", GRADE_DIR], timeout_s=30)

    groups: tuple[tuple[Kind, list[str]], ...] = (
        ("FAIL_TO_PASS", task.fail_to_pass),
        ("PASS_TO_PASS", task.pass_to_pass),
    )
    results = [
        CaseResult(test=t, kind=kind, outcome=outcomes.get(t, "not_run"))
        for kind, tests in groups
        for t in tests
    ]
    f2p = sum(r.passed for r in results if r.kind == "FAIL_TO_PASS")
    p2p = sum(r.passed for r in results if r.kind == "PASS_TO_PASS")
    n_f2p, n_p2p = len(task.fail_to_pass), len(task.pass_to_pass)
    status: Status
    if f2p == n_f2p and p2p == n_p2p:
        status = "resolved"
    elif p2p == n_p2p and 0 < f2p < n_f2p:
        status = "partial"
    else:
        status = "not_resolved"
    if run.timed_out:
        reason += f"the test run hit its {task.test_timeout_s:g}s timeout. "
    reason += f"FAIL_TO_PASS {f2p}/{n_f2p}, PASS_TO_PASS {p2p}/{n_p2p}"
    return GradeReport(
        task_id=task.id,
        status=status,
        tests=results,
        fail_to_pass=(f2p, n_f2p),
        pass_to_pass=(p2p, n_p2p),
        tests_ran=tests_ran,
        exit_code=run.exit_code,
        timed_out=run.timed_out,
        duration_s=run.duration_s,
        reason=reason,
        log_tail=run.output[-4000:],
    )
