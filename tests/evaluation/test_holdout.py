"""Held-out domains: `toolforge export --holdout-domains` keeps them out of the training files and
writes their accepted trajectories, up to each one's first call, as a BFCL-format eval set that
`toolforge eval` reads."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.store import Store
from toolforge.core.types import (
    Agent,
    CheckResult,
    Message,
    Rubric,
    Task,
    ToolCall,
    ToolSpec,
    Trajectory,
    UserGoal,
    Verdict,
)
from toolforge.evaluation.cases import load_cases
from toolforge.evaluation.holdout import HELDOUT_FILE
from toolforge_testing.llm_server import Reply, TestServer

sys.path.insert(0, str(Path(__file__).parents[1] / "export"))
from export_fixtures import WEATHER, build  # noqa: E402

runner = CliRunner()


def test_holdout_domains_leave_training_and_become_an_eval_set(sqlite_store: Store, tmp_path: Path) -> None:
    build(sqlite_store)
    out = tmp_path / "export"
    args = ["export", "--db", str(sqlite_store.url), "--out", str(out), "--judge-key", "j1", "--all"]
    result = runner.invoke(app, [*args, "-f", "openai", "--holdout-domains", "office,weather"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "0 of 4 trajectories exported" in said
    # what the training filter keeps (--all: rejected too): Paris, Lima and both room bookings;
    # Lima's first call asks for 30 days where the user said three, so no case is made of it
    assert "3 eval cases" in said and "1 trajectories skipped" in said

    loaded = load_cases(out / "heldout" / HELDOUT_FILE)
    assert sorted(c.category for c in loaded) == ["parallel_multiple", "simple", "simple"]
    cases = {c.category: c for c in loaded}
    room = cases["simple"]
    assert room.messages == [{"role": "user", "content": "Book room A at 10."}]
    assert room.functions[0]["parameters"]["properties"]["hour"]["type"] == "integer"
    assert room.ground_truth == [{"book_room": {"room": ["A"], "hour": [10]}}]
    weather = cases["parallel_multiple"]
    # the agent's system prompt (its policies) comes with the conversation
    assert [m["role"] for m in weather.messages] == ["system", "user"]
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
                ("get_weather", {"city": "Oslo", "unit": "c"}),
                ("get_weather", {"city": "Paris", "unit": "c"}),
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
    # the accepted agent gave Oslo no unit: a unit there is an argument the answer does not allow
    assert by_category["parallel_multiple"]["error_type"] == "cannot_find_match"


def test_only_the_non_held_out_domains_are_exported(sqlite_store: Store, tmp_path: Path) -> None:
    build(sqlite_store)
    _, rows = _export_holding_out_office(sqlite_store, tmp_path / "export")
    assert rows and {r["metadata"]["domain"] for r in rows} == {"weather"}


def test_a_holdout_domain_without_cases_is_an_error_naming_why(sqlite_store: Store, tmp_path: Path) -> None:
    build(sqlite_store)
    args = ["export", "--db", str(sqlite_store.url), "--out", str(tmp_path), "--judge-key", "j1"]
    result = runner.invoke(app, [*args, "--holdout-domains", "travel"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "no eval case could be made" in text and "no kept trajectory in those domains" in text


def test_an_agent_holding_a_held_out_tool_stays_out_of_training(sqlite_store: Store, tmp_path: Path) -> None:
    """A weather agent that also holds an office tool: its rows touch the held-out office, so none
    is a training row; a case is made of the one whose first call is that unseen tool, not of the
    one that first calls get_weather, which the training rows offer."""
    build(sqlite_store)
    cancel = ToolSpec(
        name="cancel_room",
        description="Cancel a room booking.",
        input_schema={"type": "object", "properties": {"room": {"type": "string"}}, "required": ["room"]},
        source="mcp",
        origin="office",
    )
    mixed = Agent(
        name="weather and rooms helper",
        system_prompt="You help with weather and rooms.",
        tool_ids=[WEATHER.id, cancel.id],
        tool_names=[WEATHER.name, cancel.name],
        domain="weather",
    )
    task = Task(
        agent_id=mixed.id,
        user_goal=UserGoal(description="Cancel room B"),
        difficulty="single_call",
        rubric=Rubric(success_criteria=["room B is free"]),
        domain="weather",
        seed=7,
    )
    tools = [WEATHER.openai_function(), cancel.openai_function()]
    opening = {
        "room": ("Cancel room B.", "cancel_room", {"room": "B"}),
        "weather": ("Weather in Rome?", "get_weather", {"city": "Rome"}),
    }
    trajectories = [
        Trajectory(
            task_id=task.id,
            agent_id=mixed.id,
            attempt=i,
            run_key="run1",
            tools=tools,
            end_reason="user_stop",
            messages=[
                Message(role="user", content=said),
                Message(role="assistant", tool_calls=[ToolCall.make(f"m{i}", name, args)]),
                Message(role="tool", tool_call_id=f"m{i}", content=json.dumps({"ok": True})),
                Message(role="assistant", content="Done."),
            ],
        )
        for i, (said, name, args) in enumerate(opening.values())
    ]
    verdicts = [
        Verdict(
            trajectory_id=t.id,
            checks=[CheckResult(check="rules", passed=True, score=0.9)],
            score=0.9,
            accepted=True,
            judge_key="j1",
        )
        for t in trajectories
    ]
    sqlite_store.put([cancel])
    sqlite_store.put([mixed])
    sqlite_store.put([task])
    sqlite_store.put(trajectories)
    sqlite_store.put(verdicts)

    out = tmp_path / "export"
    result, rows = _export_holding_out_office(sqlite_store, out)
    assert rows and all("cancel_room" not in json.dumps(r["tools"]) for r in rows)
    assert {r["id"] for r in rows} & {t.id for t in trajectories} == set()
    assert "1 trajectories skipped" in " ".join(result.output.split())  # the get_weather opening
    loaded = load_cases(out / "heldout" / HELDOUT_FILE)
    answered = sorted(next(iter(c.ground_truth[0])) for c in loaded)
    # the office agent's two room bookings and the mixed agent's cancellation; not its get_weather
    assert answered == ["book_room", "book_room", "cancel_room"]


def _export_holding_out_office(store: Store, out: Path) -> tuple[Any, list[dict[str, Any]]]:
    """`toolforge export --all -f openai --holdout-domains office` of `store` into `out`: the
    command's result (exit 0 asserted) and the training rows it wrote."""
    args = ["export", "--db", str(store.url), "--out", str(out), "--judge-key", "j1", "--all", "-f", "openai"]
    result = runner.invoke(app, [*args, "--holdout-domains", "office"])
    assert result.exit_code == 0, result.output
    return result, [json.loads(line) for line in (out / "openai.jsonl").read_text().splitlines()]
