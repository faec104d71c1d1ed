"""`toolforge llm test` through the real CLI, against the loopback server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from toolforge.cli import app
from toolforge_testing.llm_server import Reply, TestServer

runner = CliRunner()


@pytest.fixture(scope="module")
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def test_one_structured_call_prints_latency_tokens_cost(server: TestServer) -> None:
    server.enqueue(Reply.json({"colour": "red", "confidence": 0.9}))
    result = runner.invoke(app, ["llm", "test", "--model", "openai/gpt-4o-mini", "--api-base", server.url])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert '{"colour":"red","confidence":0.9}' in out
    assert "latency" in out and " s " in out
    assert "prompt +" in out and "completion" in out
    assert "$0.0000" in out  # a known model: litellm's cost map prices it
    request = server.requests[-1].body
    assert request["response_format"]["json_schema"]["name"] == "Probe"
    assert json.dumps(request["messages"])


def test_missing_key_variable_names_the_fix(server: TestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOOLFORGE_NO_SUCH_KEY", raising=False)
    result = runner.invoke(
        app,
        [
            "llm",
            "test",
            "--model",
            "openai/x",
            "--api-base",
            server.url,
            "--api-key-env",
            "TOOLFORGE_NO_SUCH_KEY",
        ],
    )
    assert result.exit_code == 2
    assert "TOOLFORGE_NO_SUCH_KEY" in result.output and "Traceback" not in result.output


def test_a_failing_server_is_one_line_not_a_traceback(server: TestServer) -> None:
    server.enqueue(Reply.error(500), Reply.error(500))
    result = runner.invoke(
        app, ["llm", "test", "--model", "openai/x", "--api-base", server.url, "--max-retries", "1"]
    )
    assert result.exit_code == 1
    assert "gave up" in result.output and "--api-base" in result.output
    assert "Traceback" not in result.output
