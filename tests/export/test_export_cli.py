"""`toolforge export` on a real store: filters from the command line, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from export_fixtures import build
from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.store import Store

runner = CliRunner()


def test_export_writes_the_chosen_formats_with_filters(sqlite_store: Store, tmp_path: Path) -> None:
    build(sqlite_store)
    db = str(sqlite_store.url)
    out = tmp_path / "out"
    args = ["export", "--db", db, "--out", str(out), "--judge-key", "j1", "-f", "openai", "-f", "k2", "--all"]
    result = runner.invoke(app, [*args, "--domain", "weather"])
    assert result.exit_code == 0, result.output
    assert "2 of 4 trajectories exported" in " ".join(result.output.split())
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "data",
        "figures",
        "k2.jsonl",
        "openai.jsonl",
        "stats.json",
    ]
    assert sorted(p.name for p in (out / "data").iterdir()) == ["k2"]
    lines = [json.loads(x) for x in (out / "openai.jsonl").read_text().splitlines()]
    assert {line["metadata"]["domain"] for line in lines} == {"weather"}


def test_export_errors_are_one_line(sqlite_store: Store, tmp_path: Path) -> None:
    build(sqlite_store)
    build(sqlite_store, judge_key="j2")
    db = str(sqlite_store.url)
    bad_format = runner.invoke(app, ["export", "--db", db, "--out", str(tmp_path), "-f", "csv"])
    assert bad_format.exit_code == 2 and "unknown format" in bad_format.output
    ambiguous = runner.invoke(app, ["export", "--db", db, "--out", str(tmp_path)])
    assert ambiguous.exit_code == 2 and "--judge-key" in " ".join(ambiguous.output.split())
    no_run = runner.invoke(app, ["export", "--db", db, "--out", str(tmp_path), "--run", "nope"])
    assert no_run.exit_code == 2 and "no finished" in " ".join(no_run.output.split())
