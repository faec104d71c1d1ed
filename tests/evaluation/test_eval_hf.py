"""A local Hugging Face checkpoint as the eval model, in-process: tiny Llamas built offline that
learned one answer, in `<tool_call>` tags and in K2 sections, and the checkpoint errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hf_helpers import NO_TOOLS_TEMPLATE, save, tags_tokenizer, teach, tiny_llama
from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.errors import ConfigError
from toolforge.core.k2_chat import render_k2
from toolforge.evaluation.cases import load_cases
from toolforge.evaluation.functions import tool_specs
from toolforge.evaluation.hf_model import HFCheckpoint
from trainer.tokenizer import train_bpe_tokenizer

FIXTURES = Path(__file__).parent / "fixtures" / "bfcl"
SIMPLE = FIXTURES / "BFCL_v3_simple.json"
runner = CliRunner()


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


def _first_case_prompt_messages() -> tuple[list[dict], list[dict]]:
    case = load_cases(SIMPLE)[0]
    return case.messages, [t.openai_function() for t in tool_specs(case.functions)]


def _eval(checkpoint: Path, out: Path):
    return runner.invoke(
        app, ["eval", str(SIMPLE), "--model", str(checkpoint), "--out", str(out), "--max-tokens", "40"]
    )


def test_a_checkpoint_that_answers_in_tool_call_tags(tmp_path: Path) -> None:
    messages, tools = _first_case_prompt_messages()
    answer = '<tool_call>{"name": "math_factorial", "arguments": {"number": 5}}</tool_call><|im_end|>'
    corpus = [json.dumps(tools), answer, *(m["content"] for m in messages), "system user assistant"]
    tokenizer = tags_tokenizer(corpus)
    model = tiny_llama(tokenizer)
    prompt = tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True, tokenize=False)
    teach(model, tokenizer, prompt, answer)
    checkpoint = save(model, tokenizer, tmp_path / "ckpt")

    out = tmp_path / "report.json"
    result = _eval(checkpoint, out)
    assert result.exit_code == 0, result.output
    cases = {c["id"]: c for c in json.loads(out.read_text())["cases"]}
    learned = cases["simple_0"]
    assert learned["raw_output"].startswith("<tool_call>")
    assert learned["parsed_calls"] == [{"math.factorial": {"number": 5}}]
    assert learned["verdict"]["valid"] is True
    other = cases["simple_1"]  # never taught: it still answers factorial, the wrong function
    assert other["verdict"]["valid"] is False and other["verdict"]["reason"]

    again = _eval(checkpoint, out)
    assert "2 of 2 answers from the cache" in " ".join(again.output.split())


def test_a_k2_checkpoint_answers_in_k2_sections(tmp_path: Path) -> None:
    messages, tools = _first_case_prompt_messages()
    call = {
        "id": "functions.math_factorial:0",
        "type": "function",
        "function": {"name": "math_factorial", "arguments": '{"number": 5}'},
    }
    conversation = render_k2([*messages, {"role": "assistant", "content": "", "tool_calls": [call]}], tools)
    tokenizer = train_bpe_tokenizer([conversation], vocab_size=400)
    model = tiny_llama(tokenizer)
    prompt = tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True, tokenize=False)
    assert conversation.startswith(prompt)
    teach(model, tokenizer, prompt, conversation[len(prompt) :])
    checkpoint = save(model, tokenizer, tmp_path / "k2")

    out = tmp_path / "report.json"
    assert _eval(checkpoint, out).exit_code == 0
    learned = next(c for c in json.loads(out.read_text())["cases"] if c["id"] == "simple_0")
    assert "<|tool_calls_section_begin|>" in learned["raw_output"]
    assert learned["parsed_calls"] == [{"math.factorial": {"number": 5}}]
    assert learned["verdict"]["valid"] is True


def test_a_template_that_ignores_tools_is_refused_with_the_fix(tmp_path: Path) -> None:
    tokenizer = tags_tokenizer(["hello world"], template=NO_TOOLS_TEMPLATE)
    checkpoint = save(tiny_llama(tokenizer), tokenizer, tmp_path / "ckpt")
    with pytest.raises(
        ConfigError,
        match=r"chat template in \S*ckpt\S* does not render the offered tools.*a template that renders tools",
    ):
        HFCheckpoint(checkpoint, max_new_tokens=4)


def test_a_checkpoint_without_tokenizer_or_weights_names_the_folder_and_the_fix(tmp_path: Path) -> None:
    tokenizer = tags_tokenizer(["hello world"])
    model = tiny_llama(tokenizer)
    weights_only = tmp_path / "weights_only"
    model.save_pretrained(weights_only)
    with pytest.raises(ConfigError, match=r"weights_only holds no tokenizer .*tokenizer.save_pretrained"):
        HFCheckpoint(weights_only)
    tokenizer_only = tmp_path / "tokenizer_only"
    tokenizer.save_pretrained(tokenizer_only)
    (tokenizer_only / "config.json").write_text(model.config.to_json_string())
    with pytest.raises(ConfigError, match=r"tokenizer_only holds no weights .*save_pretrained"):
        HFCheckpoint(tokenizer_only)
