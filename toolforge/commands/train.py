"""`toolforge train sft`: fine-tune on exported trajectories: a K2-architecture model with MuonClip,
or any Hugging Face causal LM (`--model`, optionally with LoRA).

The trainer (torch, transformers, TRL — the `train` extra) is imported when the command runs, so
the rest of the CLI starts without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from toolforge.commands.common import console, fail

if TYPE_CHECKING:
    from trainer.sft import SFTResult, SFTRunConfig

app = typer.Typer(
    help="Fine-tune Kimi K2's architecture or any Hugging Face causal LM on exported trajectories.",
    no_args_is_help=True,
)


@app.command()
def sft(
    data: Annotated[
        Path, typer.Option(help="The exporter's OpenAI chat JSONL ({messages, tools} per line).")
    ],
    out: Annotated[Path, typer.Option(help="Run directory: checkpoints, tokenizer and the final model.")],
    preset: Annotated[
        str, typer.Option(help="K2 model preset, trained from scratch: k2, k2-small or k2-tiny.")
    ] = "k2-tiny",
    model: Annotated[
        str | None,
        typer.Option(
            help="Fine-tune this causal LM instead of a preset: a checkpoint directory, a .gguf file, "
            "local/smollm2 (the bundled model) or a hub name."
        ),
    ] = None,
    chat_template: Annotated[
        str,
        typer.Option(
            help="model: the model's own chat template when it renders tools (else the fallback); "
            "fallback: toolforge's <tool_call> template."
        ),
    ] = "model",
    lora: Annotated[
        bool, typer.Option(help="Train LoRA adapters (peft) instead of all weights; saved merged.")
    ] = False,
    lora_r: Annotated[int, typer.Option(help="LoRA rank.")] = 16,
    report_to: Annotated[
        list[str] | None,
        typer.Option(
            help="Trainer logging integration (repeatable): tensorboard, wandb, ... (default none)."
        ),
    ] = None,
    max_steps: Annotated[
        int, typer.Option(help="Optimizer steps to train (in total, across resumes).")
    ] = 100,
    max_train_s: Annotated[
        float | None, typer.Option(help="Stop after this many seconds of training (the model is saved).")
    ] = None,
    lr: Annotated[float, typer.Option(help="Peak learning rate (Muon and AdamW alike).")] = 2e-4,
    weight_decay: Annotated[float, typer.Option(help="Decoupled weight decay.")] = 0.1,
    warmup_steps: Annotated[int, typer.Option(help="Linear warm-up steps before the cosine decay.")] = 0,
    batch_size: Annotated[int, typer.Option(help="Packed rows per device per micro-batch.")] = 1,
    grad_accum: Annotated[int, typer.Option(help="Micro-batches per optimizer step.")] = 1,
    max_length: Annotated[
        int, typer.Option(help="Tokens per packed row; longer conversations are dropped.")
    ] = 2048,
    tokenizer: Annotated[
        Path | None, typer.Option(help="A local K2 tokenizer directory (default: train a BPE on the data).")
    ] = None,
    init: Annotated[
        Path | None,
        typer.Option(help="Fine-tune this checkpoint instead of a fresh --preset (K2 or any causal LM)."),
    ] = None,
    tau: Annotated[float, typer.Option(help="QK-Clip threshold on per-head max attention logits.")] = 100.0,
    bias_update_speed: Annotated[
        float, typer.Option(help="Routing-bias step per update; 0 freezes it.")
    ] = 1e-3,
    save_steps: Annotated[int, typer.Option(help="Save a checkpoint every this many steps.")] = 50,
    logging_steps: Annotated[int, typer.Option(help="Log every this many steps.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed for weights and data order.")] = 0,
    activation_checkpointing: Annotated[
        bool, typer.Option(help="Recompute activations in backward: less memory, ~20% slower.")
    ] = False,
    bf16: Annotated[
        bool | None,
        typer.Option(
            "--bf16/--fp32",
            help="bf16 autocast (default: on a GPU); on a CPU with AVX512-BF16 it trains faster too.",
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Resume from the last checkpoint in --out if there is one.")
    ] = True,
) -> None:
    """Train with TRL's SFTTrainer (K2: MuonClip and QK-Clip; other models: AdamW, optional LoRA), loss on
    assistant tokens only; resumable; the model in --out loads with AutoModelForCausalLM."""
    _check_inputs(data, init, tokenizer, chat_template)
    presets, config_type, run_sft = _load_trainer()
    if model is None and init is None and preset not in presets:
        fail(f"--preset {preset!r} is unknown; choose one of {', '.join(presets)}")
    config = _run_config(
        config_type,
        data=data,
        out=out,
        preset=preset,
        model=model,
        chat_template=chat_template,
        lora=lora,
        lora_r=lora_r,
        report_to=report_to or ["none"],
        tokenizer=tokenizer,
        init=init,
        max_steps=max_steps,
        max_train_s=max_train_s,
        learning_rate=lr,
        weight_decay=weight_decay,
        warmup_steps=warmup_steps,
        batch_size=batch_size,
        grad_accum=grad_accum,
        max_length=max_length,
        tau=tau,
        bias_update_speed=bias_update_speed,
        save_steps=save_steps,
        logging_steps=logging_steps,
        seed=seed,
        activation_checkpointing=activation_checkpointing,
        bf16=bf16,
        resume=resume,
    )
    try:
        result = run_sft(config)
    except ValueError as exc:
        fail(str(exc))
    console.print(_summary(result, title=f"SFT {model or init or preset} → {out}"))


def _check_inputs(data: Path, init: Path | None, tokenizer: Path | None, chat_template: str) -> None:
    """Fail on a path or choice that cannot work, before the trainer (slow to import) loads."""
    if not data.is_file():
        fail(f"--data {data} does not exist; pass the exporter's JSONL file")
    if init is not None and not (init / "config.json").is_file():
        fail(f"--init {init} is not a checkpoint directory (no config.json)")
    if tokenizer is not None and not tokenizer.is_dir():
        fail(f"--tokenizer {tokenizer} is not a directory; pass a local tokenizer directory or leave it out")
    if chat_template not in ("model", "fallback"):
        fail(f"--chat-template {chat_template!r} is unknown; choose model or fallback")


def _load_trainer() -> tuple[Mapping[str, Any], type[SFTRunConfig], Callable[[SFTRunConfig], SFTResult]]:
    """The presets, the run config and `run_sft`, or a clear error when the train extra is missing."""
    try:
        from trainer.presets import PRESETS
        from trainer.sft import SFTRunConfig, run_sft
    except ImportError as exc:
        fail(f"the trainer needs the train extra ({exc.name} is missing): pip install 'toolforge[train]'")
    return PRESETS, SFTRunConfig, run_sft


def _run_config(config_type: type[SFTRunConfig], **fields: Any) -> SFTRunConfig:
    """The validated run config; a bad value fails naming the option as the user typed it."""
    from pydantic import ValidationError

    try:
        return config_type(**fields)
    except ValidationError as exc:
        options = {"learning_rate": "lr"}
        fail(
            "; ".join(
                f"--{options.get(str(e['loc'][0]), str(e['loc'][0])).replace('_', '-')}: {e['msg']}"
                for e in exc.errors()
            )
        )


def _summary(result: SFTResult, title: str) -> Table:
    """What the run did: steps, where it resumed, the model and data sizes, the loss from first to last log."""
    losses = [h["loss"] for h in result.log_history if "loss" in h]
    table = Table(title=title)
    table.add_column("")
    table.add_column("", justify="right")
    table.add_row("steps", str(result.global_step))
    table.add_row("resumed from", Path(result.resumed_from).name if result.resumed_from else "-")
    table.add_row("parameters", f"{result.parameters:,}")
    table.add_row("chat template", result.chat_template)
    table.add_row(
        "conversations (dropped: too long)", f"{result.data.conversations} ({result.data.dropped_too_long})"
    )
    table.add_row("tokens (assistant)", f"{result.data.tokens:,} ({result.data.assistant_tokens:,})")
    if losses:
        table.add_row("loss first → last log", f"{losses[0]:.4f} → {losses[-1]:.4f}")
    return table
