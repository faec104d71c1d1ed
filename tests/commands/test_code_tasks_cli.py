"""`toolforge code-tasks list | run` through the real CLI: stored trajectories and verdicts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sandbox import DEFAULT_IMAGE
from toolforge.cli import app
from toolforge.core.store import Store
from toolforge.core.types import Trajectory, Verdict

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "code_tasks"
IMAGE = os.environ.get("TOOLFORGE_SANDBOX_IMAGE", DEFAULT_IMAGE)


def test_list_shows_every_example() -> None:
    result = runner.invoke(app, ["code-tasks", "list", str(EXAMPLES)])
    assert result.exit_code == 0
    assert "10 task(s), 10 with a gold patch" in result.stdout


def test_run_needs_exactly_one_way_to_play(tmp_path: Path) -> None:
    none = runner.invoke(app, ["code-tasks", "run", str(EXAMPLES), "--db", str(tmp_path / "t.db")])
    assert none.exit_code == 2
    patch = tmp_path / "fix.diff"
    patch.write_text("")
    many = runner.invoke(
        app, ["code-tasks", "run", str(EXAMPLES), "--patch", str(patch), "--db", str(tmp_path / "t.db")]
    )
    assert many.exit_code == 2 and "--task" in many.stderr
    unknown = runner.invoke(app, ["code-tasks", "run", str(EXAMPLES), "--gold", "--task", "nope"])
    assert unknown.exit_code == 2 and "no task nope" in unknown.stderr


@pytest.mark.docker
def test_run_gold_stores_a_graded_trajectory_and_an_accepted_verdict(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    result = runner.invoke(
        app, ["code-tasks", "run", str(EXAMPLES), "--gold", "--task", "median", "--image", IMAGE, "--db", db]
    )
    assert result.exit_code == 0, result.output
    assert "resolved 1/1" in result.stdout
    store = Store(db)
    try:
        (traj,) = store.list(Trajectory)
        (verdict,) = store.list(Verdict)
    finally:
        store.close()
    assert traj.end_reason == "graded" and traj.final_state["grade"]["status"] == "resolved"
    assert verdict.trajectory_id == traj.id and verdict.accepted


@pytest.mark.docker
def test_run_with_a_wrong_patch_is_not_resolved(tmp_path: Path) -> None:
    patch = tmp_path / "wrong.diff"
    patch.write_text("--- a/stats/central.py\n+++ b/stats/central.py\n@@ -1 +1 @@\n-nothing\n+else\n")
    result = runner.invoke(
        app,
        [
            "code-tasks",
            "run",
            str(EXAMPLES / "median"),
            "--patch",
            str(patch),
            "--image",
            IMAGE,
            "--db",
            str(tmp_path / "t.db"),
        ],
    )
    assert result.exit_code == 1
    assert "resolved 0/1" in result.stdout
    store = Store(str(tmp_path / "t.db"))
    try:
        (traj,) = store.list(Trajectory)
        (verdict,) = store.list(Verdict)
    finally:
        store.close()
    assert traj.final_state["grade"]["status"] == "not_resolved" and not verdict.accepted
    applied = [m for m in traj.messages if m.role == "tool" and m.name == "bash"]
    assert "[exit code 1]" in (applied[0].content or "") and traj.final_state["patch"] == ""
