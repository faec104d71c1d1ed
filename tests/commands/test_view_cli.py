"""`toolforge view`, `toolforge trajectories list`, `show trajectory PREFIX`, `--version` and the
order of `--help`, on a real SQLite store."""

from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from tests.export.export_fixtures import build
from tests.viewer.viewer_fixtures import build_run
from toolforge import __version__
from toolforge.cli import app
from toolforge.commands.view import serve
from toolforge.core.store import Store
from toolforge.export import ExportConfig, export_store

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_list_filters_like_the_viewer_and_prints_json(sqlite_store: Store, tmp_path: Path) -> None:
    made = build_run(sqlite_store)
    result = runner.invoke(app, ["trajectories", "list", str(tmp_path), "--status", "rejected", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    rejected = [v for v in made["verdicts"] if not v.accepted]
    assert [r["id"] for r in rows] == sorted(v.trajectory_id for v in rejected)
    assert rows[0]["failing_checks"] == {c.check: c.reason for c in rejected[0].checks if not c.passed}

    by_tool = json.loads(
        runner.invoke(app, ["trajectories", "list", str(tmp_path), "--tool", "get_forecast", "--json"]).output
    )
    assert [r["tools_used"] for r in by_tool] == [["get_forecast"]]
    scored = json.loads(
        runner.invoke(
            app,
            ["trajectories", "list", str(tmp_path), "--min-score", "0.8", "--domain", "weather", "--json"],
        ).output
    )
    assert [r["score"] for r in scored] == [0.95]
    reason = runner.invoke(app, ["trajectories", "list", str(tmp_path), "--reason", "never ENDED", "--json"])
    failing_so = sorted(
        v.trajectory_id for v in made["verdicts"] if any("never ended" in c.reason for c in v.checks)
    )
    assert [r["id"] for r in json.loads(reason.output)] == failing_so
    rubric_failed = runner.invoke(app, ["trajectories", "list", str(tmp_path), "--failing-check", "rubric"])
    assert f"{len(failing_so)} of 4 trajectories" in _flat(rubric_failed.output)


def test_list_and_view_read_an_export_folder_too(sqlite_store: Store, tmp_path: Path) -> None:
    build_run(sqlite_store)
    out = tmp_path / "dataset"
    export_store(sqlite_store, out, ExportConfig(), judge_key="j1")
    rows = json.loads(runner.invoke(app, ["trajectories", "list", str(out), "--json"]).output)
    assert len(rows) == 3 and {r["status"] for r in rows} == {"accepted"}
    viewed = runner.invoke(app, ["view", str(out)])
    assert viewed.exit_code == 0, viewed.output
    assert "traj_" in (out / "toolforge-view.html").read_text()


def test_view_of_a_folder_without_data_names_it_and_the_fix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["view", str(tmp_path)])
    assert result.exit_code == 2
    message = _flat(result.output)
    assert str(tmp_path) in message and "toolforge.db" in message and "openai.jsonl" in message
    missing = runner.invoke(app, ["trajectories", "list", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "is not a folder" in _flat(missing.output)


def test_served_page_is_the_written_file(sqlite_store: Store, tmp_path: Path) -> None:
    build_run(sqlite_store)
    page = tmp_path / "v.html"
    assert runner.invoke(app, ["view", str(tmp_path), "--out", str(page)]).exit_code == 0
    server = serve(page, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v.html", timeout=10) as response:
            assert response.read() == page.read_bytes()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_show_trajectory_takes_an_id_prefix(sqlite_store: Store) -> None:
    made = build_run(sqlite_store)
    db = str(sqlite_store.url)
    ids = sorted(t.id for t in made["trajectories"])
    unique = next(i for i in ids if sum(other.startswith(i[:9]) for other in ids) == 1)
    shown = runner.invoke(app, ["show", "trajectory", unique[:9], "--db", db])
    assert shown.exit_code == 0, shown.output
    assert f"trajectory {unique}" in shown.output
    ambiguous = runner.invoke(app, ["show", "trajectory", "traj_", "--db", db])
    assert ambiguous.exit_code == 2
    assert all(i in _flat(ambiguous.output).replace(" ", "") for i in ids)
    none = runner.invoke(app, ["show", "trajectory", "traj_zzz", "--db", db])
    assert none.exit_code == 2 and "toolforge trajectories list" in _flat(none.output)


def test_version_and_pipeline_order_in_help() -> None:
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.strip() == f"toolforge {__version__}"
    listed = [
        line.split()[1]
        for line in runner.invoke(app, ["--help"]).output.splitlines()
        if line.startswith("│ ") and len(line.split()) > 2 and line.split()[1].islower()
    ]
    steps = [
        name for name in listed if name in ("tools", "agents", "tasks", "rollout", "export", "view", "train")
    ]
    assert steps == ["tools", "agents", "tasks", "rollout", "export", "view", "train"]
    assert listed.index("train") < listed.index("doctor") < listed.index("stats")


def test_several_judge_keys_ask_for_one(sqlite_store: Store, tmp_path: Path) -> None:
    build_run(sqlite_store)
    build(sqlite_store, judge_key="j2")
    ambiguous = runner.invoke(app, ["trajectories", "list", str(tmp_path)])
    assert ambiguous.exit_code == 2 and "--judge-key" in _flat(ambiguous.output)
    chosen = runner.invoke(app, ["trajectories", "list", str(tmp_path), "--judge-key", "j2", "--json"])
    assert chosen.exit_code == 0 and len(json.loads(chosen.output)) == 4
