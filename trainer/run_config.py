"""What one SFT run is configured with, and the TRL arguments both training paths share."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from trl.trainer.sft_config import SFTConfig

__all__ = ["SFTRunConfig", "sft_arguments"]


class SFTRunConfig(BaseModel):
    """Everything one SFT run needs; the CLI fills it from its options.

    `model` (or `init`) names the model to fine-tune: a K2 (DeepseekV3) checkpoint trains on the K2
    path with MuonClip, any other causal LM on the generic path (AdamW, optional LoRA); neither
    trains a fresh K2 `preset`.
    """

    model_config = ConfigDict(extra="forbid")

    data: Path
    out: Path
    preset: str = "k2-tiny"
    model: str | None = None  # any HF causal LM: checkpoint dir, .gguf file, local/smollm2, hub name
    tokenizer: Path | None = None  # a local K2 tokenizer directory; None → train a BPE on the data
    init: Path | None = None  # start from this HF checkpoint's weights instead of a fresh preset model
    chat_template: Literal["model", "fallback"] = "model"  # generic path: the model's own if it renders tools
    lora: bool = False  # generic path: train LoRA adapters (peft), merged into the saved model
    lora_r: int = Field(default=16, gt=0)
    lora_alpha: int = Field(default=32, gt=0)
    report_to: list[str] = Field(default_factory=lambda: ["none"])  # Trainer integrations: tensorboard, wandb
    bpe_vocab_size: int = Field(default=2048, ge=269)
    max_steps: int = Field(default=100, gt=0)
    max_train_s: float | None = Field(default=None, gt=0)  # stop after this many seconds of training
    learning_rate: float = Field(default=2e-4, gt=0)
    weight_decay: float = Field(default=0.1, ge=0)
    momentum: float = Field(default=0.95, ge=0, lt=1)
    lr_scheduler: Literal["constant", "cosine", "linear"] = "cosine"
    warmup_steps: int = Field(default=0, ge=0)
    batch_size: int = Field(default=1, gt=0)  # packed rows per device per micro-batch
    grad_accum: int = Field(default=1, gt=0)
    max_length: int = Field(default=2048, gt=0)  # tokens per packed row; longer conversations are dropped
    tau: float = Field(default=100.0, gt=0)  # QK-Clip threshold
    bias_update_speed: float = Field(default=1e-3, ge=0)  # 0 freezes the routing bias
    seed: int = 0
    save_steps: int = Field(default=50, gt=0)
    logging_steps: int = Field(default=10, gt=0)
    bf16: bool | None = None  # None → bf16 autocast when CUDA is available
    activation_checkpointing: bool = False  # recompute activations in backward (TRL's default is on)
    resume: bool = True


def sft_arguments(config: SFTRunConfig) -> SFTConfig:
    """TRL arguments: packing (`bfd`, padding-free rows, restarted position ids), the schedule, the
    checkpoint cadence and the reporting integrations."""
    return SFTConfig(
        output_dir=str(config.out),
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_steps,
        logging_steps=config.logging_steps,
        save_steps=config.save_steps,
        save_strategy="steps",
        seed=config.seed,
        bf16=torch.cuda.is_available() if config.bf16 is None else config.bf16,
        use_cpu=not torch.cuda.is_available(),
        packing=True,
        packing_strategy="bfd",
        max_length=config.max_length,
        include_num_input_tokens_seen="all",
        report_to=config.report_to,
        disable_tqdm=False,  # a progress bar; logs are written above it
        activation_checkpointing=config.activation_checkpointing,
    )
