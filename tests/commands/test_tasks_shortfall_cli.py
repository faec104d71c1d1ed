"""`toolforge tasks generate` says which asked tasks it could not make, and why."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from toolforge.cli import app

REPO = Path(__file__).resolve().parents[2]
SHOP = f"{REPO / 'examples' / 'domains' / 'shop' / 'toolkit.py'}:ShopToolkit"


def test_tasks_that_cannot_be_made_are_counted_with_their_reason(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "short.db")
    out = runner.invoke(
        app,
        [
            "agents",
            "generate",
            "--toolkit",
            SHOP,
            "--count",
            "2",
            "--min-tools",
            "1",
            "--max-tools",
            "1",
            "--db",
            db,
        ],
    )
    assert out.exit_code == 0, out.output
    out = runner.invoke(
        app,
        [
            "tasks",
            "generate",
            "--toolkit",
            SHOP,
            "--difficulty",
            "multi_call",
            "--difficulty",
            "single_call",
            "--db",
            db,
        ],
    )
    text = " ".join(out.output.replace("│", " ").split())
    assert out.exit_code == 0, out.output
    assert "multi_call 2 0 0" in text and "single_call 2 2 2" in text  # one tool makes no chain
    assert "failures: 2, by reason" in text
    assert "2 × tasks: no chain of multi_call" in text and "fix: the agents' tools do not chain" in text


def test_no_task_made_exits_1_with_the_reasons(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "none.db")
    agents = ["agents", "generate", "--toolkit", SHOP, "--count", "2", "--min-tools", "1", "--max-tools", "1"]
    assert runner.invoke(app, [*agents, "--db", db]).exit_code == 0
    out = runner.invoke(
        app, ["tasks", "generate", "--toolkit", SHOP, "--difficulty", "multi_call", "--db", db]
    )
    text = " ".join(out.output.split())
    assert out.exit_code == 1, out.output
    assert "2 × tasks: no chain of multi_call" in text
    assert "stage tasks produced nothing (2 failed)" in text
