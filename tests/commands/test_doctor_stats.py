"""`toolforge doctor` and `toolforge stats`, through the real CLI."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.store import Store
from toolforge.core.types import ToolSpec

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "doctor" in result.output and "stats" in result.output


def test_doctor_reports_every_check(tmp_path: Path) -> None:
    result = runner.invoke(app, ["doctor", "--db", str(tmp_path / "t.db")])
    for name in ("store", "docker", "local model", "mcp SDK", "litellm"):
        assert name in result.output
    assert "checks passed" in result.output


def test_doctor_names_the_fix_for_an_unreachable_store() -> None:
    result = runner.invoke(app, ["doctor", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 1
    assert "--db" in result.output


def test_stats_counts_rows(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    store = Store(db)
    store.put([ToolSpec(name="a", input_schema={"type": "object"}, source="mcp", origin="s")])
    store.close()
    result = runner.invoke(app, ["stats", "--db", db])
    assert result.exit_code == 0
    assert "tools" in result.output and "│    1 │" in result.output


def test_stats_on_a_bad_url_is_one_line_not_a_traceback() -> None:
    result = runner.invoke(app, ["stats", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
