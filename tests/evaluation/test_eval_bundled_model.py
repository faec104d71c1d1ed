"""`toolforge eval` with the bundled SmolLM2 (json tool mode, schema-constrained on llama.cpp).
Asserts structure, never accuracy: a 135M model's answers are unreliable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolforge.cli import app

pytestmark = pytest.mark.local_model

FIXTURES = Path(__file__).parent / "fixtures" / "bfcl"


def test_the_bundled_model_answers_every_case_in_readable_json(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["eval", str(FIXTURES / "BFCL_v3_simple.json"), str(FIXTURES / "BFCL_v3_irrelevance.json")]
    result = CliRunner().invoke(
        app, [*args, "--model", "local/smollm2", "--out", str(out), "--max-tokens", "96"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["overall"]["cases"] == 3
    for case in report["cases"]:
        assert case["parse_error"] is None, case  # constrained decoding: always the action schema
        value = json.loads(case["raw_output"])
        assert "tool_calls" in value or "reply" in value
        offered = {f["name"] for f in case["function"]}
        assert all(name in offered for call in case["parsed_calls"] for name in call)  # dotted names back
        assert case["verdict"]["valid"] or case["verdict"]["reason"]
