"""Grading in real containers: every gold patch resolves its task, no unpatched repo is resolved,
partial fixes are PARTIAL, edited tests do not count, and tests that never ran cannot pass."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sandbox_helpers import IMAGE

from sandbox.code_tasks import CodeTask, load_task, load_tasks
from sandbox.docker_backend import DockerBackend
from sandbox.grading import GradeReport, apply_patch, grade, prepare, workspace_diff
from sandbox.models import SandboxSpec
from sandbox.pool import SandboxPool

pytestmark = pytest.mark.docker
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "code_tasks"


def unpatched_then_gold(pool: SandboxPool, task: CodeTask) -> tuple[GradeReport, GradeReport, str]:
    with pool.lease() as box:
        prepare(box, task)
        before = grade(box, task)
        applied = apply_patch(box, task.gold_patch or "")
        assert applied.ok, applied.output
        diff = workspace_diff(box)
        return before, grade(box, task), diff


def test_gold_patches_resolve_and_unpatched_repos_do_not(docker_backend: DockerBackend) -> None:
    tasks = load_tasks(EXAMPLES)
    with SandboxPool(docker_backend, SandboxSpec(image=IMAGE), size=2, max_size=3) as pool:
        with ThreadPoolExecutor(3) as ex:
            results = dict(
                zip([t.id for t in tasks], ex.map(lambda t: unpatched_then_gold(pool, t), tasks), strict=True)
            )
    for task in tasks:
        before, after, diff = results[task.id]
        assert before.tests_ran and before.status == "not_resolved", (task.id, before.reason)
        assert before.fail_to_pass[0] == 0 and before.pass_to_pass == (len(task.pass_to_pass),) * 2, task.id
        assert after.status == "resolved", (task.id, after.reason, after.log_tail)
        assert all(c.outcome == "passed" for c in after.tests)
        assert diff.strip() == (task.gold_patch or "").strip().replace("\n\\ No newline at end of file", "")


@pytest.fixture
def median() -> CodeTask:
    return load_task(EXAMPLES / "median")


def test_partial_fix_is_partial(box, median: CodeTask) -> None:  # type: ignore[no-untyped-def]
    prepare(box, median)
    fixed_even_only = median.files["stats/central.py"].replace(
        "    return ordered[len(ordered) // 2]",
        "    mid = len(ordered) // 2\n"
        "    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2",
    )
    box.write_files({"stats/central.py": fixed_even_only})
    report = grade(box, median)
    assert report.status == "partial" and report.fail_to_pass == (1, 2)
    outcomes = {c.test.split("::")[1]: c.outcome for c in report.tests}
    assert outcomes["test_median_even"] == "passed" and outcomes["test_median_empty_raises"] == "failed"


def test_breaking_a_passing_test_is_not_resolved(box, median: CodeTask) -> None:  # type: ignore[no-untyped-def]
    prepare(box, median)
    assert apply_patch(box, median.gold_patch or "").ok
    box.write_files(
        {"stats/central.py": box.read_file("stats/central.py").decode().replace("sum(values)", "0")}
    )
    report = grade(box, median)
    assert report.status == "not_resolved" and report.fail_to_pass == (2, 2) and report.pass_to_pass == (2, 3)


def test_edited_tests_are_restored_before_grading(box, median: CodeTask) -> None:  # type: ignore[no-untyped-def]
    prepare(box, median)
    box.write_files({"tests/test_central.py": "def test_median_even():\n    pass\n"})
    report = grade(box, median)
    assert report.status == "not_resolved" and report.fail_to_pass == (0, 2)


def test_tests_that_never_ran_cannot_pass(box, median: CodeTask) -> None:  # type: ignore[no-untyped-def]
    prepare(box, median)
    assert apply_patch(box, median.gold_patch or "").ok
    # a conftest that ends the process before any test runs: exit code 0, but no report
    box.write_files({"conftest.py": "import os\nos._exit(0)\n"})
    report = grade(box, median)
    assert report.exit_code == 0 and not report.tests_ran
    assert report.status == "not_resolved" and {c.outcome for c in report.tests} == {"not_run"}
    assert "never executed" in report.reason


def test_missing_interpreter_means_not_run(box, median: CodeTask) -> None:  # type: ignore[no-untyped-def]
    task = median.model_copy(update={"python": "/nonexistent/python"})
    prepare(box, task)
    report = grade(box, task)
    assert not report.tests_ran and report.status == "not_resolved"


def test_a_test_run_past_its_timeout_is_not_resolved(box, median: CodeTask) -> None:  # type: ignore[no-untyped-def]
    task = median.model_copy(update={"test_timeout_s": 2.0})
    prepare(box, task)
    assert apply_patch(box, task.gold_patch or "").ok
    box.write_files({"conftest.py": "import time\ntime.sleep(60)\n"})
    report = grade(box, task)
    assert report.timed_out and not report.tests_ran and report.status == "not_resolved"


def test_a_patch_that_does_not_apply_is_reported(box, median: CodeTask) -> None:  # type: ignore[no-untyped-def]
    prepare(box, median)
    result = apply_patch(box, "--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-x\n+y\n")
    assert not result.ok and "nope.py" in result.stderr
