"""`toolforge eval` through the real CLI and litellm over HTTP, against the loopback server:
every category, dotted names, the report, and the cache that makes a re-run resume."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolforge.cli import app
from toolforge_testing.llm_server import Reply, Request, TestServer

FIXTURES = Path(__file__).parent / "fixtures" / "bfcl"
runner = CliRunner()

# What the scripted model answers, by the question it is asked (the names it was offered).
ANSWERS: dict[str, Reply] = {
    "What is the factorial of 5?": Reply.calls(("math_factorial", {"number": 5})),
    "Area of a circle with radius 3 in meters?": Reply.calls(
        ("geometry_circle_area", {"radius": 3, "units": "Meters"})
    ),
    "How is the weather in Paris today?": Reply.calls(("get_weather", {"city": "paris, france"})),
    "Book the Grand Hotel for 2 nights for Ana and Bo, with breakfast.": Reply.calls(
        (
            "hotel_book",
            {"hotel": "Grand Hotel", "nights": 2, "guests": ["Ana", "Bo"], "extras": {"breakfast": True}},
        )
    ),
    # one call where two are expected: wrong
    "Weather in Paris and in Rome?": Reply.calls(("get_weather", {"city": "Paris"})),
    # both calls, in the other order: right
    "Factorial of 4, and the price of ACME stock.": Reply.calls(
        ("stock_price", {"ticker": "ACME"}), ("math_factorial", {"number": 4})
    ),
    "Who wrote Hamlet?": Reply.text("Shakespeare; none of these functions helps."),
}


def answer(request: Request) -> Reply | None:
    return ANSWERS.get(request.body["messages"][-1]["content"])


@pytest.fixture()
def server() -> Iterator[TestServer]:
    with TestServer(responder=answer) as running:
        yield running


def flat(output: str) -> str:
    """The console output with the table's box drawing removed and whitespace collapsed."""
    return " ".join("".join(" " if "\u2500" <= ch <= "\u257f" else ch for ch in output).split())


def run_eval(server: TestServer, out: Path, *extra: str):
    args = [
        "eval",
        str(FIXTURES),
        "--model",
        "openai/scripted",
        "--api-base",
        server.url,
        "--out",
        str(out),
        *extra,
    ]
    return runner.invoke(app, args)


def test_every_category_is_scored_and_reported(server: TestServer, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run_eval(server, out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    cats = report["categories"]
    assert {k: (v["cases"], v["correct"]) for k, v in cats.items()} == {
        "simple": (2, 2),
        "multiple": (2, 2),
        "parallel": (1, 0),
        "parallel_multiple": (1, 1),
        "irrelevance": (1, 1),
    }
    assert report["overall"] == {"cases": 7, "correct": 6, "accuracy": round(6 / 7, 4)}
    assert report["category_mean"] == round((1 + 1 + 0 + 1 + 1) / 5, 4)
    text = flat(result.output)
    assert (
        "parallel_multiple 1 1 1.000" in text
        and "overall 7 6 0.857" in text
        and "mean of categories 0.800" in text
    )

    cases = {c["id"]: c for c in report["cases"]}
    simple = cases["simple_0"]
    assert json.loads(simple["raw_output"])["tool_calls"][0]["name"] == "math_factorial"
    assert simple["parsed_calls"] == [{"math.factorial": {"number": 5}}]  # mapped back to the dotted name
    assert simple["verdict"] == {"valid": True, "error_type": "", "reason": ""}
    parallel = cases["parallel_0"]["verdict"]
    assert parallel["valid"] is False and parallel["error_type"] == "wrong_count"
    assert "expected 2 call(s), got 1" in parallel["reason"]
    assert cases["irrelevance_0"]["parsed_calls"] == []

    sent = next(r.body for r in server.requests if r.body["messages"][-1]["content"].startswith("Area"))
    tool = sent["tools"][0]["function"]
    assert tool["name"] == "geometry_circle_area"  # dots are not allowed in provider tool names
    assert tool["parameters"]["properties"]["radius"]["type"] == "number"
    assert tool["parameters"]["properties"]["radius"]["description"].endswith("This is a float type value.")


def test_a_rerun_answers_from_the_cache_and_resumes_after_a_kill(server: TestServer, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert run_eval(server, out).exit_code == 0
    assert len(server.requests) == 7
    first = json.loads(out.read_text())

    again = run_eval(server, out)
    assert again.exit_code == 0, again.output
    assert len(server.requests) == 7  # nothing asked twice
    assert "7 of 7 answers from the cache" in flat(again.output)
    second = json.loads(out.read_text())
    assert [c["verdict"] for c in second["cases"]] == [c["verdict"] for c in first["cases"]]

    # a run killed mid-write: three whole lines and half of the fourth survive
    cache = tmp_path / "report.json.cache.jsonl"
    lines = cache.read_text().splitlines(keepends=True)
    cache.write_text("".join(lines[:3]) + lines[3][:20])
    resumed = run_eval(server, out)
    assert resumed.exit_code == 0, resumed.output
    assert len(server.requests) == 7 + 4
    assert json.loads(out.read_text())["overall"] == first["overall"]


def test_a_failed_call_is_reported_and_retried_by_the_next_run(server: TestServer, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    server.responder = lambda r: (
        Reply.error(400) if "Hamlet" in r.body["messages"][-1]["content"] else answer(r)
    )
    first = run_eval(server, out, "--category", "irrelevance")
    assert first.exit_code == 1  # the one case's call failed: nothing was scored
    assert "1 × eval: the model call failed" in flat(first.output)
    assert "stage eval produced nothing (1 failed)" in flat(first.output)
    failed = json.loads(out.read_text())["cases"][0]
    assert failed["verdict"]["error_type"] == "model_error" and "failed" in failed["verdict"]["reason"]
    server.responder = answer
    assert run_eval(server, out, "--category", "irrelevance").exit_code == 0
    assert json.loads(out.read_text())["cases"][0]["verdict"]["valid"] is True


def test_bad_input_stops_with_the_file_and_the_fix(server: TestServer, tmp_path: Path) -> None:
    bad = tmp_path / "BFCL_v3_simple.json"
    bad.write_text(json.dumps({"conversations": []}) + "\n")
    result = runner.invoke(app, ["eval", str(bad), "--model", "openai/x", "--api-base", server.url])
    assert result.exit_code == 2
    text = "".join(result.output.split())  # rich wraps long paths anywhere
    assert "BFCL_v3_simple.json:1:unknownlayout" in text and "Traceback" not in text
    empty_dir = tmp_path / "ckpt"
    empty_dir.mkdir()
    (empty_dir / "config.json").write_text("{}")
    q = FIXTURES / "BFCL_v3_simple.json"
    result = runner.invoke(
        app, ["eval", str(q), "--model", str(empty_dir), "--out", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 2
    text = "".join(result.output.split())
    assert "ckptholdsnoweights" in text and "save_pretrained" in text


def test_the_table_goes_into_a_dataset_card(server: TestServer, tmp_path: Path) -> None:
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    (dataset / "README.md").write_text("# my-dataset\n\n## Domains\n\n- weather\n")
    out = tmp_path / "report.json"
    for _ in range(2):  # a second run replaces the section, never duplicates it
        result = run_eval(server, out, "--card", str(dataset))
        assert result.exit_code == 0, result.output
    card = (dataset / "README.md").read_text()
    assert card.count("## Eval: openai/scripted") == 1
    assert "| parallel | 1 | 0 | 0.000 |" in card and "| **overall** | 7 | 6 | 0.857 |" in card
    assert card.index("## Eval: openai/scripted") < card.index("## Domains")
    missing = run_eval(server, out, "--card", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "no dataset card there" in " ".join(missing.output.split())


def test_json_tool_mode_sends_the_action_schema_and_reads_the_reply(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    with TestServer() as auto:  # answers every request with a schema-valid instance of its schema
        result = run_eval(auto, out, "--tool-mode", "json", "--category", "simple")
        schema = json.dumps(auto.requests[0].body["response_format"])
    assert result.exit_code == 0, result.output
    assert '"const": "math_factorial"' in schema or '"const": "geometry_circle_area"' in schema
    for case in json.loads(out.read_text())["cases"]:
        assert case["parse_error"] is None
        reply = json.loads(case["raw_output"])
        assert "tool_calls" in reply or "reply" in reply
        offered = {f["name"] for f in case["function"]}
        assert all(name in offered for call in case["parsed_calls"] for name in call)
