"""The episode commands end to end in process: agents, tasks, rollout, show trajectory."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.store import Store, TrajectoryRow
from toolforge.core.types import Trajectory


def test_agents_tasks_rollout_show(tmp_path: Path, shop_ref: str) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.db")
    out = runner.invoke(app, ["agents", "generate", "--toolkit", shop_ref, "--count", "2", "--db", db])
    assert out.exit_code == 0, out.output
    assert "2 agents" in out.output
    out = runner.invoke(app, ["tasks", "generate", "--toolkit", shop_ref, "--db", db])
    assert out.exit_code == 0, out.output
    assert "8 tasks for 2 agents" in out.output
    out = runner.invoke(app, ["rollout", "--toolkit", shop_ref, "--attempts", "2", "--db", db])
    assert out.exit_code == 0, out.output
    assert "user_stop" in out.output and "16" in out.output
    # a third attempt per task, played by two processes: only the 8 missing episodes run
    out = runner.invoke(
        app, ["rollout", "--toolkit", shop_ref, "--attempts", "3", "--workers", "2", "--db", db]
    )
    assert out.exit_code == 0, out.output
    store = Store(db)
    assert store.count(TrajectoryRow) == 24
    traj = next(t for t in store.list(Trajectory) if t.metadata["difficulty"] == "recovery")
    store.close()
    out = runner.invoke(app, ["show", "trajectory", traj.id, "--db", db])
    assert out.exit_code == 0, out.output
    assert (
        "[user]" in out.output
        and "→ call" in out.output
        and "← error" in out.output
        and "← result" in out.output
    )
    assert "end: user_stop" in out.output


def test_user_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "empty.db")
    out = runner.invoke(app, ["show", "trajectory", "traj_nope", "--db", db])
    assert out.exit_code == 2 and "no trajectory" in out.output
    out = runner.invoke(app, ["rollout", "--policy", "oracle", "--db", db])
    assert out.exit_code == 2 and "oracle" in out.output
    out = runner.invoke(app, ["tasks", "generate", "--db", db])
    assert out.exit_code == 2 and "tool library is empty" in out.output
