"""`toolforge doctor` and `toolforge stats`, through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.store import Store
from toolforge.core.types import ToolSpec
from toolforge_testing.llm_server import Reply, TestServer

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


def test_doctor_checks_each_model_of_a_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOOLFORGE_NO_SUCH_KEY", raising=False)
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("not a model")
    with TestServer() as server:
        server.enqueue(Reply.json({"colour": "blue", "confidence": 0.8}))
        config = tmp_path / "pipeline.yaml"
        config.write_text(
            "name: doctor-check\n"
            "models:\n"
            f"  judge: {{model: openai/served, api_base: '{server.url}'}}\n"
            f"  user: {{model: 'local/{not_gguf}'}}\n"
            f"  agent: {{model: openai/keyed, api_base: '{server.url}', api_key_env: TOOLFORGE_NO_SUCH_KEY}}\n"
        )
        result = runner.invoke(app, ["doctor", "--db", str(tmp_path / "t.db"), "--config", str(config)])
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert (
        "model openai/served @ " + server.url + ': ok: answered {"colour":"blue","confidence":0.8}' in lines
    )
    user = next(line for line in lines if line.startswith(f"model local/{not_gguf}: FAILED"))
    assert f"{not_gguf} is not a GGUF file" in user
    agent = next(line for line in lines if line.startswith("model openai/keyed @ "))
    assert "FAILED" in agent and "TOOLFORGE_NO_SUCH_KEY" in agent
    assert len(server.requests) == 1  # the keyless and the broken local model were never called
