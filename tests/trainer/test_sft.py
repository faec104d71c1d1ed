"""The SFT loop end to end on k2-tiny: learning, every parameter trained, resume, the CLI, and
checkpoints that transformers loads on its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from typer.testing import CliRunner

from toolforge.cli import app
from trainer.sft import SFTRunConfig, build_trainer

pytestmark = pytest.mark.slow


def _losses(history: list[dict]) -> dict[int, float]:
    return {h["step"]: h["loss"] for h in history if "loss" in h}


def test_fifty_steps_lower_the_loss_by_30_percent_and_train_every_parameter(
    exported_jsonl: Path, tmp_path: Path
) -> None:
    config = SFTRunConfig(
        data=exported_jsonl,
        out=tmp_path / "run",
        max_steps=50,
        learning_rate=3e-3,
        weight_decay=0.0,  # so a parameter only changes when gradients reach it
        max_length=1024,
        logging_steps=1,
        save_steps=1000,
    )
    trainer, stats = build_trainer(config)
    model = trainer.model
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    bias_before = {n: b.clone() for n, b in model.named_buffers() if n.endswith("e_score_correction_bias")}
    trainer.train()

    losses = _losses(trainer.state.log_history)
    assert sorted(losses) == list(range(1, 51))
    last = sum(losses[s] for s in range(46, 51)) / 5
    assert last <= 0.7 * losses[1], losses

    unchanged = [n for n, p in model.named_parameters() if p.requires_grad and torch.equal(p, before[n])]
    assert unchanged == []
    for name, p in model.named_parameters():  # and inside expert tensors, every expert
        if name.endswith(("experts.gate_up_proj", "experts.down_proj")):
            frozen = [e for e in range(p.shape[0]) if torch.equal(p[e], before[name][e])]
            assert frozen == [], (name, frozen)
    moved = [n for n, b in model.named_buffers() if n in bias_before and not torch.equal(b, bias_before[n])]
    assert sorted(moved) == sorted(bias_before)

    logged = trainer.state.log_history[0]
    for key in (
        "qk/max_logit",
        "qk/max_logit/layer_0",
        "qk/clipped_head_share",
        "experts/max_violation",
        "tokens_per_s",
    ):
        assert key in logged
    assert stats.assistant_tokens > 0


class _StopAt(TrainerCallback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: object
    ) -> None:
        if state.global_step >= self.step:
            control.should_training_stop = True


def _cli(data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "train", "sft", "--data", str(data), "--out", str(out), "--preset", "k2-tiny", "--max-steps", "8",
        "--lr", "3e-3", "--max-length", "1024", "--save-steps", "4", "--logging-steps", "1", *extra,
    ]  # fmt: skip


def test_a_resumed_run_continues_from_its_step_with_the_same_loss_curve(
    exported_jsonl: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    full = runner.invoke(app, _cli(exported_jsonl, tmp_path / "full"))
    assert full.exit_code == 0, full.output
    assert "loss first → last log" in full.output
    full_losses = _losses(
        json.loads((tmp_path / "full" / "checkpoint-8" / "trainer_state.json").read_text())["log_history"]
    )

    # the same run, stopped after its step-4 checkpoint, then started again with the same command
    config = SFTRunConfig(
        data=exported_jsonl, out=tmp_path / "cut", max_steps=8, learning_rate=3e-3, max_length=1024,
        save_steps=4, logging_steps=1,
    )  # fmt: skip
    trainer, _ = build_trainer(config)
    trainer.add_callback(_StopAt(4))
    trainer.train()
    assert (tmp_path / "cut" / "checkpoint-4").is_dir() and not (tmp_path / "cut" / "checkpoint-8").exists()
    resumed = runner.invoke(app, _cli(exported_jsonl, tmp_path / "cut"))
    assert resumed.exit_code == 0, resumed.output
    assert "checkpoint-4" in resumed.output
    cut_losses = _losses(
        json.loads((tmp_path / "cut" / "checkpoint-8" / "trainer_state.json").read_text())["log_history"]
    )
    assert sorted(cut_losses) == sorted(full_losses) == list(range(1, 9))
    for step in range(1, 9):
        assert cut_losses[step] == pytest.approx(full_losses[step], rel=1e-5, abs=1e-6), step

    # both checkpoints are plain HF checkpoints: transformers alone loads them (a fresh interpreter,
    # none of our code) and they give the same logits
    script = (
        "import sys, torch; from transformers import AutoModelForCausalLM\n"
        "ids = torch.arange(40)[None] % 200\n"
        "for path in sys.argv[1:]:\n"
        "    m = AutoModelForCausalLM.from_pretrained(path).eval()\n"
        "    print(type(m).__name__, m.config.model_type, float(m(input_ids=ids).logits.double().sum()))\n"
    )
    paths = [str(tmp_path / "full"), str(tmp_path / "cut" / "checkpoint-8")]

    # --init fine-tunes a finished run further, with its tokenizer: it starts where that run ended
    tuned = runner.invoke(app, _cli(exported_jsonl, tmp_path / "tuned", "--init", str(tmp_path / "full")))
    assert tuned.exit_code == 0, tuned.output
    tuned_losses = _losses(
        json.loads((tmp_path / "tuned" / "checkpoint-8" / "trainer_state.json").read_text())["log_history"]
    )
    assert tuned_losses[1] < 0.8 * full_losses[1] and tuned_losses[1] < full_losses[4]
    out = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert [line.split()[:2] for line in lines] == [["DeepseekV3ForCausalLM", "deepseek_v3"]] * 2
    assert float(lines[0].split()[2]) == pytest.approx(float(lines[1].split()[2]), rel=1e-5)


def test_cli_user_errors_are_one_line(exported_jsonl: Path, tmp_path: Path) -> None:
    runner = CliRunner()

    def error(*args: str) -> str:
        result = runner.invoke(app, ["train", "sft", "--data", *args, "--out", str(tmp_path)])
        assert result.exit_code == 2 and "Traceback" not in result.output
        return " ".join(result.output.split())  # rich wraps at the console width

    assert "does not exist; pass the exporter's JSONL file" in error(str(tmp_path / "nope.jsonl"))
    assert "choose one of k2, k2-small, k2-tiny" in error(str(exported_jsonl), "--preset", "k3")
    assert "--lr: Input should be greater than 0" in error(str(exported_jsonl), "--lr", "-1")
