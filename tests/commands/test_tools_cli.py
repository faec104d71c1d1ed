"""`toolforge tools …` through the real CLI: harvest the example servers, then every other command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.store import Store
from toolforge_testing.llm_server import TestServer
from toolforge_testing.synthesis_fake import responder

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, ["tools", *args])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # rich wraps long lines


def test_the_tool_library_commands_end_to_end(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    out = invoke("harvest", "--servers", str(REPO / "examples" / "mcp_servers" / "servers.json"), "--db", db)
    assert "69 tools from 6/6 servers (0 rejected)" in out
    assert len(Store(db).tool_rows(status="ok")) == 69
    assert "69 tools" in invoke("list", "--db", db, "--limit", "5")
    shown = invoke("show", "place_order", "--db", db)
    assert "place_order" in shown and '"inputSchema"' in shown and '"server": "shop"' in shown
    assert "mcp" in invoke("stats", "--db", db)

    jsonl, fns = tmp_path / "lib.jsonl", tmp_path / "lib.json"
    assert "wrote 69 tools" in invoke("export", str(jsonl), "--db", db)
    assert "wrote 69 tools" in invoke("export", str(fns), "--db", db)
    assert len(json.loads(fns.read_text())) == 69
    other = str(tmp_path / "other.db")
    assert "69 added" in invoke("import", str(jsonl), "--db", other)
    assert "69 unchanged" in invoke("import", str(jsonl), "--db", other)
    assert "69 added" in invoke("import", str(fns), "--db", other)  # OpenAI form: no output schemas
    foreign = tmp_path / "crawl.jsonl"  # the same tools as a third-party crawl would list them
    lines = [json.loads(x) for x in jsonl.read_text().splitlines()]
    foreign.write_text("".join(json.dumps({"server": x["server"], "tool": x["tool"]}) + "\n" for x in lines))
    assert "69 added" in invoke("import", str(foreign), "--db", other)

    dedup = invoke("dedup", "--exact-only", "--db", other)
    assert "69 exact duplicates" in dedup  # the crawl's copies have the harvested tools' fingerprints
    rows = Store(other).tool_rows(status="duplicate")
    assert len(rows) == 69 and all(r.source == "catalog" and r.duplicate_of for r in rows)

    graph = invoke("graph", "--seed", "1", "--db", db, "--out", str(tmp_path / "g.json"))
    assert "feed_edges" in graph and "toolset:" in graph and "chain:" in graph
    assert json.loads((tmp_path / "g.json").read_text())["nodes"]


def test_synthesize_with_a_litellm_model_shows_a_summary_by_category(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    with TestServer(responder=responder) as server:
        args = ["synthesize", "--target", "12", "--model", "openai/test", "--api-base", server.url]
        out = invoke(*args, "--categories", "travel,legal", "--tools-per-domain", "3", "--db", db)
    assert "12 new tools" in out and "travel" in out and "legal" in out
    assert len(Store(db).tool_rows(source="synthetic", status="ok")) == 12


def test_user_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    for args, message in [
        (["harvest", "--db", db], "no servers"),
        (["import", str(tmp_path / "missing.jsonl"), "--db", db], "does not exist"),
        (["graph", "--db", db], "library is empty"),
        (["show", "nope", "--db", db], "no tool with id or name"),
    ]:
        result = runner.invoke(app, ["tools", *args])
        assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
        assert "Traceback" not in result.output
