"""SFT of an ordinary Hugging Face causal LM (a tiny random Llama made in tmp): the CLI's --init and
--model, assistant-only labels, LoRA, --report-to, and the saved checkpoint reloaded on its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.llm.tool_tags import template_messages
from trainer.data import ExportedConversation
from trainer.hf_model import resolve_model
from trainer.hf_sft import LORA_ADAPTER_DIR, build_hf_trainer
from trainer.run_config import SFTRunConfig
from trainer.sft import run_sft
from trainer.tool_template import fallback_tool_template

pytestmark = pytest.mark.slow


def _losses(history: list[dict]) -> list[float]:
    return [h["loss"] for h in history if "loss" in h]


def test_init_with_a_llama_checkpoint_fine_tunes_it_and_saves_a_checkpoint_transformers_reloads(
    exported_jsonl: Path, tiny_llama: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        ["train", "sft", "--data", str(exported_jsonl), "--out", str(out), "--init", str(tiny_llama),
         "--max-steps", "12", "--lr", "3e-3", "--max-length", "1024", "--logging-steps", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "deepseek_v3" not in result.output
    assert "fallback" in result.output  # the tiny Llama's tokenizer has no chat template
    first, last = (float(x) for x in result.output.split("loss first → last log")[1].split()[1:4:2])
    assert last < 0.9 * first

    # a fresh interpreter with none of our code loads the model, tokenizer and tool template
    script = (
        "import sys, torch; from transformers import AutoModelForCausalLM, AutoTokenizer\n"
        "m = AutoModelForCausalLM.from_pretrained(sys.argv[1]); t = AutoTokenizer.from_pretrained(sys.argv[1])\n"
        "tools = [{'type': 'function', 'function': {'name': 'get_weather', 'parameters': {'type': 'object'}}}]\n"
        "text = t.apply_chat_template([{'role': 'user', 'content': 'hi'}], tools=tools, tokenize=False)\n"
        "print(type(m).__name__, 'get_weather' in text, t.chat_template == open(sys.argv[2]).read())\n"
    )
    template = Path(__file__).parents[2] / "trainer" / "tool_chat_template.jinja"
    loaded = subprocess.run(
        [sys.executable, "-c", script, str(out), str(template)], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.split() == ["LlamaForCausalLM", "True", "True"]
    before, after = load_file(tiny_llama / "model.safetensors"), load_file(out / "model.safetensors")
    assert set(before) == set(after)
    assert all(not torch.equal(before[name], after[name]) for name in before if "proj" in name)


def test_labels_are_minus_100_everywhere_but_on_assistant_tokens(
    exported_jsonl: Path, conversations: list[ExportedConversation], tiny_llama: Path, tmp_path: Path
) -> None:
    config = SFTRunConfig(data=exported_jsonl, out=tmp_path / "run", model=str(tiny_llama), max_length=1024)
    trainer, stats, template = build_hf_trainer(config, resolve_model(str(tiny_llama)))
    assert template == "fallback" and trainer.processing_class.chat_template == fallback_tool_template()
    tokenizer = trainer.processing_class
    learned = 0
    for row in trainer.train_dataset:
        ids, labels = row["input_ids"], row["labels"]
        assert all(label in (-100, token) for token, label in zip(ids, labels, strict=True))
        learned += sum(label != -100 for label in labels)
    assert learned == stats.assistant_tokens and 0 < learned < stats.tokens / 2

    batch = next(iter(trainer.get_train_dataloader()))
    ids, labels = batch["input_ids"][0], batch["labels"][0]
    prompt = tokenizer.decode(ids[labels == -100])
    answer = tokenizer.decode(ids[labels != -100])
    assert "<tool_call>" in answer and "<|im_end|>" in answer
    assert "<tools>" in prompt and "<tool_response>" in prompt and "<|im_start|>user" in prompt
    for token in ("<tools>", "<tool_response>", "<|im_start|>"):
        assert token not in answer
    users = [
        m["content"] for c in conversations for m in template_messages(c.messages) if m["role"] == "user"
    ]
    assert not any(text in answer for text in users)


def test_lora_trains_adapters_and_saves_the_merged_model_and_the_adapter(
    exported_jsonl: Path, tiny_llama: Path, tmp_path: Path
) -> None:
    out = tmp_path / "lora"
    config = SFTRunConfig(
        data=exported_jsonl, out=out, model=str(tiny_llama), lora=True, lora_r=4, max_steps=4,
        learning_rate=1e-2, max_length=1024, logging_steps=1,
    )  # fmt: skip
    result = run_sft(config)
    assert result.global_step == 4
    assert (out / LORA_ADAPTER_DIR / "adapter_config.json").is_file()
    adapter = load_file(out / LORA_ADAPTER_DIR / "adapter_model.safetensors")
    assert adapter and all("lora_" in name for name in adapter)
    assert result.parameters > sum(t.numel() for t in adapter.values())  # the base is there, frozen

    before, after = load_file(tiny_llama / "model.safetensors"), load_file(out / "model.safetensors")
    assert set(before) == set(after)  # merged: plain Llama weights, no adapter names
    assert torch.equal(before["model.embed_tokens.weight"], after["model.embed_tokens.weight"])
    changed = [name for name in before if not torch.equal(before[name], after[name])]
    assert changed and all(name.endswith("proj.weight") for name in changed)


def test_report_to_reaches_the_trainer_and_tensorboard_writes_its_events(
    exported_jsonl: Path, tiny_llama: Path, tmp_path: Path
) -> None:
    out = tmp_path / "tb"
    config = SFTRunConfig(
        data=exported_jsonl, out=out, model=str(tiny_llama), max_steps=2, max_length=1024,
        logging_steps=1, report_to=["tensorboard"],
    )  # fmt: skip
    trainer, _, _ = build_hf_trainer(config, resolve_model(str(tiny_llama)))
    assert trainer.args.report_to == ["tensorboard"]
    trainer.train()
    assert list(out.rglob("events.out.tfevents.*"))
    assert SFTRunConfig(data=exported_jsonl, out=out).report_to == ["none"]  # the default reports nowhere


def test_max_train_s_stops_a_long_run_early_and_still_saves_the_model(
    exported_jsonl: Path, tiny_llama: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bounded"
    config = SFTRunConfig(
        data=exported_jsonl, out=out, model=str(tiny_llama), max_steps=10_000, max_train_s=1.0,
        max_length=1024, save_steps=100_000,
    )  # fmt: skip
    result = run_sft(config)
    assert 1 <= result.global_step < 10_000
    assert (out / "model.safetensors").is_file()


def test_bad_models_are_one_line_errors_that_name_the_fix(
    exported_jsonl: Path, tiny_llama: Path, tmp_path: Path
) -> None:
    runner = CliRunner()

    def error(*args: str) -> str:
        result = runner.invoke(
            app, ["train", "sft", "--data", str(exported_jsonl), "--out", str(tmp_path / "o"), *args]
        )
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        return " ".join(result.output.split())

    assert "no such directory; pass a checkpoint directory or a hub name" in error(
        "--model", str(tmp_path / "nope")
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "config.json is missing; pass a Hugging Face checkpoint directory" in error("--model", str(empty))
    assert "no such GGUF file" in error("--model", str(tmp_path / "m.gguf"))
    assert "pass either --model or --init, not both" in error(
        "--model", str(tiny_llama), "--init", str(tiny_llama)
    )
    assert "--chat-template 'own' is unknown; choose model or fallback" in error("--chat-template", "own")


@pytest.mark.parametrize(("flag", "bf16"), [("--bf16", True), ("--fp32", False)])
def test_bf16_flag_reaches_the_trainer_on_a_cpu(
    exported_jsonl: Path, tiny_llama: Path, tmp_path: Path, flag: str, bf16: bool
) -> None:
    out = tmp_path / "precision"
    result = CliRunner().invoke(
        app,
        ["train", "sft", "--data", str(exported_jsonl), "--out", str(out), "--model", str(tiny_llama),
         "--max-steps", "1", "--save-steps", "1", "--max-length", "1024", flag],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    args = torch.load(out / "checkpoint-1" / "training_args.bin", weights_only=False)
    assert args.bf16 is bf16
