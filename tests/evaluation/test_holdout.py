"""Held-out domains: `toolforge export --holdout-domains` keeps them out of the training files and
writes their blueprint tasks as a BFCL-format eval set that `toolforge eval` reads."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.store import Store
from toolforge.core.types import Blueprint, ExpectedCall, Task, UserGoal
from toolforge.evaluation.cases import load_cases
from toolforge.evaluation.holdout import HELDOUT_FILE
from toolforge_testing.llm_server import Reply, TestServer

sys.path.insert(0, str(Path(__file__).parents[1] / "export"))
from export_fixtures import build  # noqa: E402

runner = CliRunner()


def _with_blueprint(task: Task, opening: str, *actions: ExpectedCall, facts: dict | None = None) -> Task:
    goal = UserGoal(description=task.user_goal.description, opening_message=opening, known_facts=facts or {})
    return task.model_copy(update={"user_goal": goal, "blueprint": Blueprint(actions=list(actions))})


def _store_with_blueprints(store: Store) -> None:
    t_paris, t_lima, t_room = build(store)["tasks"]
    store.put(
        [
            _with_blueprint(
                t_room,
                "Please book room A for me.",
                ExpectedCall(name="book_room", arguments={"room": "A", "hour": 10}),
                facts={"hour": 10},
            ),
            _with_blueprint(
                t_paris,
                "How warm is it in Paris and in Oslo?",
                ExpectedCall(name="get_weather", arguments={"city": "Paris"}),
                ExpectedCall(name="get_weather", arguments={"city": "Oslo"}),
            ),
            # its only call needs a value the user never states: no one-turn case can be made
            _with_blueprint(
                t_lima,
                "Forecast for Lima?",
                ExpectedCall(name="get_forecast", arguments={"city": "Lima", "days": 3}),
            ),
        ]
    )


def test_holdout_domains_leave_training_and_become_an_eval_set(sqlite_store: Store, tmp_path: Path) -> None:
    _store_with_blueprints(sqlite_store)
    out = tmp_path / "export"
    args = [
        "export",
        "--db",
        str(sqlite_store.url),
        "--out",
        str(out),
        "--judge-key",
        "j1",
        "--all",
        "-f",
        "openai",
    ]
    result = runner.invoke(app, [*args, "--holdout-domains", "office,weather"])
    assert result.exit_code == 0, result.output
    assert "0 of 4 trajectories exported" in " ".join(result.output.split())
    assert "2 eval cases" in " ".join(result.output.split()) and "1 tasks skipped" in " ".join(
        result.output.split()
    )

    cases = {c.category: c for c in load_cases(out / "heldout" / HELDOUT_FILE)}
    assert set(cases) == {"simple", "parallel_multiple"}
    room = cases["simple"]
    assert room.messages == [{"role": "user", "content": "Please book room A for me. (hour: 10)"}]
    assert room.functions[0]["parameters"]["properties"]["hour"]["type"] == "integer"
    assert room.ground_truth == [{"book_room": {"room": ["A"], "hour": [10]}}]
    weather = cases["parallel_multiple"]
    assert [next(iter(c)) for c in weather.ground_truth] == ["get_weather", "get_weather"]
    assert weather.ground_truth[1]["get_weather"] == {"city": ["Oslo"], "unit": [""]}
    assert (out / "heldout" / "possible_answer" / HELDOUT_FILE).exists()

    card = (out / "README.md").read_text()
    assert "holdout_domains" in card

    with TestServer() as server:
        server.responder = lambda r: (
            Reply.calls(("book_room", {"room": "a", "hour": 10}))
            if "room A" in r.body["messages"][-1]["content"]
            else Reply.calls(
                ("get_weather", {"city": "Oslo"}), ("get_weather", {"city": "Paris", "unit": "c"})
            )
        )
        report = tmp_path / "heldout.json"
        evaluated = runner.invoke(
            app,
            [
                "eval",
                str(out / "heldout"),
                "--model",
                "openai/scripted",
                "--api-base",
                server.url,
                "--out",
                str(report),
            ],
        )
    assert evaluated.exit_code == 0, evaluated.output
    by_category = {c["category"]: c["verdict"] for c in json.loads(report.read_text())["cases"]}
    assert by_category["simple"]["valid"] is True
    # "unit" was not in the blueprint's call: giving it is an argument the answer does not allow
    assert by_category["parallel_multiple"]["error_type"] == "cannot_find_match"


def test_only_the_non_held_out_domains_are_exported(sqlite_store: Store, tmp_path: Path) -> None:
    _store_with_blueprints(sqlite_store)
    out = tmp_path / "export"
    args = [
        "export",
        "--db",
        str(sqlite_store.url),
        "--out",
        str(out),
        "--judge-key",
        "j1",
        "--all",
        "-f",
        "openai",
    ]
    result = runner.invoke(app, [*args, "--holdout-domains", "office"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "openai.jsonl").read_text().splitlines()]
    assert rows and {r["metadata"]["domain"] for r in rows} == {"weather"}


def test_a_holdout_domain_without_cases_is_an_error_naming_why(sqlite_store: Store, tmp_path: Path) -> None:
    build(sqlite_store)  # tasks without blueprints
    args = ["export", "--db", str(sqlite_store.url), "--out", str(tmp_path), "--judge-key", "j1"]
    result = runner.invoke(app, [*args, "--holdout-domains", "office"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "no eval case could be made" in text and "no blueprint" in text
