"""A checkpoint from `toolforge train sft` as the agent policy of `toolforge rollout`: the model runs
in-process, its `<tool_call>` output becomes real calls on the episode's world, and a checkpoint
that cannot serve stops the rollout with one line naming the file and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.store import Store
from toolforge.core.types import Agent, Trajectory
from toolforge_testing.tiny_llama import write_tiny_llama

pytestmark = pytest.mark.slow

torch.set_num_threads(1)

ASKS = [
    "Hello, I need some help with my shopping.",
    "Can you look something up for me?",
    "I want to place an order. Please walk me through it.",
    "Something is wrong with my order.",
    "Please check this for me.",
    "Hi! Quick question about the store.",
    "I'd like to change something.",
    "Could you find what I am looking for?",
]


def _rows(agent: Agent, tools: dict[str, dict], name: str, arguments: dict) -> list[dict]:
    """Exported-format rows in which the agent always answers with one call: a policy that learned
    them calls `name` whatever the user says."""
    call = {
        "id": "call_0",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
    offered = [tools[n] for n in agent.tool_names]
    return [
        {
            "messages": [
                {"role": "system", "content": agent.system_prompt},
                {"role": "user", "content": ask},
                {"role": "assistant", "content": "", "tool_calls": [call]},
            ],
            "tools": offered,
        }
        for ask in ASKS
    ]


def test_a_trained_checkpoint_plays_an_episode_whose_calls_run_on_the_world(
    tmp_path: Path, shop_ref: str, shop: type
) -> None:
    runner = CliRunner()
    db = str(tmp_path / "loop.db")
    for command in (["agents", "generate", "--count", "1"], ["tasks", "generate"]):
        out = runner.invoke(app, [*command, "--toolkit", shop_ref, "--db", db])
        assert out.exit_code == 0, out.output
    store = Store(db)
    [agent] = store.list(Agent)
    store.close()
    specs = {spec.name: spec for spec in shop.specs()}
    name = "search_products" if "search_products" in agent.tool_names else agent.tool_names[0]
    required = specs[name].input_schema.get("required", [])
    arguments = dict.fromkeys(required, "lamp")
    rows = _rows(agent, {n: s.openai_function() for n, s in specs.items()}, name, arguments)
    data = tmp_path / "openai.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))

    texts = [json.dumps(row) for row in rows] * 4
    base = write_tiny_llama(tmp_path / "base", texts, vocab_size=1024, hidden_size=128)
    ckpt = tmp_path / "ckpt"
    out = runner.invoke(
        app,
        ["train", "sft", "--data", str(data), "--out", str(ckpt), "--model", str(base), "--max-steps", "200",
         "--lr", "1e-2", "--warmup-steps", "5", "--max-length", "1024", "--save-steps", "1000"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output

    out = runner.invoke(
        app,
        ["rollout", "--toolkit", shop_ref, "--policy", "llm", "--agent-model", str(ckpt), "--limit", "1",
         "--max-turns", "2", "--db", db],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    store = Store(db)
    [trajectory] = store.list(Trajectory)
    store.close()
    assert trajectory.models["agent"] == str(ckpt)
    first = next(m for m in trajectory.messages if m.role == "assistant")
    assert [c.function.name for c in first.tool_calls or []] == [name], first.content
    assert json.loads(first.tool_calls[0].function.arguments) == arguments
    answer = next(m for m in trajectory.messages if m.role == "tool")
    assert answer.tool_call_id == first.tool_calls[0].id and answer.content


def test_a_checkpoint_without_a_tool_template_stops_the_rollout_with_the_fix(
    tmp_path: Path, shop_ref: str
) -> None:
    runner = CliRunner()
    db = str(tmp_path / "bad.db")
    for command in (["agents", "generate", "--count", "1"], ["tasks", "generate"]):
        assert runner.invoke(app, [*command, "--toolkit", shop_ref, "--db", db]).exit_code == 0
    base = write_tiny_llama(tmp_path / "base", ["a plain text corpus"] * 10, vocab_size=300)
    out = runner.invoke(
        app,
        ["rollout", "--toolkit", shop_ref, "--policy", "llm", "--agent-model", str(base), "--limit", "1",
         "--db", db],
    )  # fmt: skip
    assert out.exit_code == 2 and "Traceback" not in out.output
    message = " ".join(out.output.split())
    assert "does not render anything" in message and "toolforge train sft" in message
    assert str(base / "tokenizer_config.json") in "".join(out.output.split())  # rich wraps long paths
