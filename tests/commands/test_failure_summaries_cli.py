"""Every command that processes items ends the same way (`commands/summary.py`): what failed,
grouped by reason with a count, an example item and the fix, and exit 1 when a stage made nothing
or failed more than --max-failure-rate of its items. Each test feeds the real command a real bad
input: a model endpoint that refuses every request, a crashing server, filters that leave nothing."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from toolforge.cli import app
from toolforge_testing.llm_server import Reply, TestServer

REPO = Path(__file__).resolve().parents[2]
SHOP = f"{REPO / 'examples' / 'domains' / 'shop' / 'toolkit.py'}:ShopToolkit"
CRASHY = REPO / "tests" / "faults" / "fixtures" / "crash_server.py"
BFCL = REPO / "tests" / "evaluation" / "fixtures" / "bfcl" / "BFCL_v3_simple.json"
runner = CliRunner()


@pytest.fixture()
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def flat(result: Result) -> str:
    """stdout and stderr, box drawing removed and whitespace collapsed."""
    text = result.stdout + result.stderr
    return " ".join("".join(" " if "\u2500" <= ch <= "\u257f" else ch for ch in text).split())


def invoke(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def shop_tasks(db: str) -> None:
    """Two agents on the example shop toolkit, two single-call tasks each."""
    agents = invoke("agents", "generate", "--toolkit", SHOP, "--count", "2", "--db", db)
    assert agents.exit_code == 0, agents.output
    tasks = invoke(
        "tasks", "generate", "--toolkit", SHOP, "--difficulty", "single_call", "--per-difficulty", "2",
        "--db", db,
    )  # fmt: skip
    assert tasks.exit_code == 0, tasks.output


def test_rollout_whose_model_refuses_every_request_exits_1_grouping_the_episodes(
    tmp_path: Path, server: TestServer
) -> None:
    db = str(tmp_path / "r.db")
    shop_tasks(db)
    server.responder = lambda _req: Reply.error(400)  # not retried: each episode ends in infra_error
    llm = ("--policy", "llm", "--agent-model", "openai/refusing", "--api-base", server.url)
    result = invoke("rollout", "--toolkit", SHOP, *llm, "--db", db)
    text = flat(result)
    assert result.exit_code == 1, text
    assert "failures: 4, by reason" in text and "4 × rollouts: LLMError" in text and "(e.g. traj_" in text
    assert "stage rollouts produced nothing (4 failed)" in text
    # a blueprint rollout of the same tasks is fine, and says so
    fine = invoke("rollout", "--toolkit", SHOP, "--db", db)
    assert fine.exit_code == 0 and "failures: none" in flat(fine)


def test_agents_whose_model_writes_no_prompt_exit_1_naming_the_fallback(
    tmp_path: Path, server: TestServer
) -> None:
    server.responder = lambda _req: Reply.text("not the JSON asked for")
    model = ("--model", "openai/garbling", "--api-base", server.url)
    result = invoke(
        "agents", "generate", "--toolkit", SHOP, "--count", "2", *model, "--db", str(tmp_path / "a.db")
    )
    text = flat(result)
    assert result.exit_code == 1, text
    assert (
        "2 × llm.synthesizer: invalid structured output after one repair" in text and "(e.g. agent_" in text
    )
    assert "fix: the model's replies did not match the schema" in text
    assert "stage agent prompts produced nothing (2 failed)" in text


def test_harvest_lists_the_failed_server_by_reason(tmp_path: Path) -> None:
    servers = {"mcpServers": {"crashy": {"command": sys.executable, "args": [str(CRASHY)]}}}
    path = tmp_path / "servers.json"
    path.write_text(json.dumps(servers))
    result = invoke("tools", "harvest", "--servers", str(path), "--db", str(tmp_path / "h.db"))
    text = flat(result)
    assert result.exit_code == 1, text
    assert "failures: 1, by reason" in text and "1 × harvest:" in text and "(e.g. crashy)" in text
    assert "1 of 1 server(s) failed: crashy" in text


def test_eval_over_the_failure_threshold_exits_1_and_a_higher_threshold_accepts_it(
    tmp_path: Path, server: TestServer
) -> None:
    calls = {"n": 0}

    def every_other(_req: object) -> Reply:
        calls["n"] += 1
        return Reply.error(400) if calls["n"] % 2 else Reply.text("no call")

    server.responder = every_other
    args = ("eval", str(BFCL), "--model", "openai/flaky", "--api-base", server.url, "--batch-size", "1")
    result = invoke(*args, "--out", str(tmp_path / "a.json"), "--max-failure-rate", "0.2")
    text = flat(result)
    assert result.exit_code == 1, text
    assert (
        "1 × eval: the model call failed" in text
        and "stage eval: 1 of 2 failed (50% > max_failure_rate 20%)" in text
    )
    calls["n"] = 0
    accepted = invoke(*args, "--out", str(tmp_path / "b.json"), "--max-failure-rate", "0.5")
    assert accepted.exit_code == 0 and "1 × eval: the model call failed" in flat(accepted)


def test_export_that_leaves_nothing_exits_1_naming_the_filter_and_the_option(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    config = {
        "name": "all-rejected",
        "workspace": str(ws),
        "tools": {"toolkits": [SHOP]},
        "agents": {"count": 2, "min_tools": 3, "max_tools": 4},
        "tasks": {"difficulties": ["single_call"], "per_difficulty": 1},
        "rollouts": {"policy": "blueprint", "user": "template", "simulator": "schema"},
        "judges": {"rubric": {"enabled": False}, "rules": {"token_budget": {"single_call": 1}}},
        "export": {"formats": ["openai"]},
    }
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(config))
    assert invoke("generate", "--config", str(path), "--no-progress").exit_code == 1  # every attempt rejected
    db = f"sqlite:///{ws / 'toolforge.db'}"
    result = invoke(
        "export", "--db", db, "--run", "all-rejected", "--out", str(tmp_path / "out"), "-f", "openai"
    )
    text = flat(result)
    assert result.exit_code == 1, text
    assert (
        "× export: left out by the accepted_only filter; fix: pass --all to keep rejected trajectories"
        in text
    )
    assert "the dataset is empty: none of the 6 trajectories considered passed the filters" in text
    kept = invoke(
        "export", "--db", db, "--run", "all-rejected", "--all", "--out", str(tmp_path / "all"), "-f", "openai"
    )
    assert kept.exit_code == 0 and "failures: none" in flat(kept)


def test_code_tasks_with_a_wrong_patch_list_the_task_and_exit_1(tmp_path: Path) -> None:
    patch = tmp_path / "wrong.diff"
    patch.write_text("--- a/stats/central.py\n+++ b/stats/central.py\n@@ -1 +1 @@\n-nothing\n+else\n")
    result = invoke(
        "code-tasks", "run", str(REPO / "examples" / "code_tasks" / "median"), "--patch", str(patch),
        "--backend", "local", "--unsafe-no-isolation", "--db", str(tmp_path / "c.db"),
    )  # fmt: skip
    text = flat(result)
    assert result.exit_code == 1, text
    assert "1 × code-tasks: not resolved: the patch passes N of N FAIL_TO_PASS tests (e.g. median)" in text
    assert "the patch leaves 1 of 1 task(s) unresolved" in text


def test_sandbox_doctor_without_an_engine_lists_each_missing_check_with_its_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-docker.sock'}")
    result = invoke("sandbox", "doctor")
    text = flat(result)
    assert result.exit_code == 1, text
    assert "1 × sandbox: docker engine" in text and "fix: start dockerd, or use --backend local" in text
    assert "docker sandboxes unavailable (docker engine)" in text


def test_synthesize_whose_model_answers_garbage_exits_1(tmp_path: Path, server: TestServer) -> None:
    server.responder = lambda _req: Reply.text("garbage")
    result = invoke(
        "tools", "synthesize", "--target", "4", "--model", "openai/garbling", "--api-base", server.url,
        "--categories", "finance", "--db", str(tmp_path / "s.db"),
    )  # fmt: skip
    text = flat(result)
    assert result.exit_code == 1, text
    assert "5 × llm.synthesizer: invalid structured output after one repair" in text
    assert "stage tools.synthesize produced nothing (5 failed)" in text
