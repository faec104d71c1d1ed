"""SFT of a K2-architecture model on exported trajectories: TRL's SFTTrainer with MuonClip.

`run_sft(config)` builds (or reloads, on resume) the tokenizer, renders and tokenizes the data,
builds the model from a preset, and trains with packing (TRL `bfd`, padding-free rows with
restarted position ids, no cross-document attention), loss on assistant tokens only, the MuonClip
optimizer, and `MuonClipCallback` (QK-Clip + routing-bias update + logging) after every step.
Checkpoints are ordinary Hugging Face checkpoints (`checkpoint-N/` under `out`, the final model in
`out`); a run started again on the same `out` resumes from its last checkpoint. Under
`accelerate launch` (FSDP2, DDP) the same code runs on every rank.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn
from transformers import DeepseekV3Config, DeepseekV3ForCausalLM, PreTrainedTokenizerBase, set_seed
from transformers.trainer_utils import get_last_checkpoint
from trl import SFTConfig, SFTTrainer

from toolforge.core.k2_chat import render_k2
from trainer.callback import MuonClipCallback
from trainer.data import DataStats, build_dataset, read_exported_jsonl
from trainer.muon import MuonClip, k2_param_groups
from trainer.presets import get_preset
from trainer.qk_clip import ATTN_IMPLEMENTATION
from trainer.routing import ExpertLoadTracker
from trainer.tokenizer import load_tokenizer, train_bpe_tokenizer

__all__ = [
    "K2SFTTrainer",
    "SFTResult",
    "SFTRunConfig",
    "build_model",
    "build_trainer",
    "load_model",
    "prepare_tokenizer",
    "run_sft",
]

TOKENIZER_DIR = "tokenizer"


class SFTRunConfig(BaseModel):
    """Everything one SFT run needs; the CLI fills it from its options."""

    model_config = ConfigDict(extra="forbid")

    data: Path
    out: Path
    preset: str = "k2-tiny"
    tokenizer: Path | None = None  # a local K2 tokenizer directory; None → train a BPE on the data
    init: Path | None = None  # start from this HF checkpoint's weights instead of a fresh preset model
    bpe_vocab_size: int = Field(default=2048, ge=269)
    max_steps: int = Field(default=100, gt=0)
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


@dataclass(frozen=True)
class SFTResult:
    out: Path
    global_step: int
    resumed_from: str | None
    data: DataStats
    log_history: list[dict[str, Any]]
    parameters: int


def prepare_tokenizer(config: SFTRunConfig) -> PreTrainedTokenizerBase:
    """The run's tokenizer: the one saved in `out` (resume), `--tokenizer`, the `--init` checkpoint's,
    or a new BPE trained on the data."""
    saved = config.out / TOKENIZER_DIR
    if saved.is_dir():
        return load_tokenizer(saved)
    if config.tokenizer is not None:
        tokenizer = load_tokenizer(config.tokenizer)
    elif config.init is not None:  # a checkpoint is fine-tuned with the tokenizer it was trained with
        if not (config.init / "tokenizer_config.json").is_file():
            raise ValueError(
                f"{config.init} holds no tokenizer; pass the one it was trained with (--tokenizer)"
            )
        tokenizer = load_tokenizer(config.init)
    else:  # BPE training is deterministic: every rank trains the same tokenizer
        conversations = read_exported_jsonl(config.data)
        texts = (render_k2(c.messages, c.tools) for c in conversations)
        tokenizer = train_bpe_tokenizer(texts, vocab_size=config.bpe_vocab_size)
    if int(os.environ.get("RANK", "0")) == 0:  # one writer under torchrun / accelerate launch
        tokenizer.save_pretrained(str(saved))
    return tokenizer


def build_model(
    config: DeepseekV3Config, tokenizer: PreTrainedTokenizerBase, dtype: torch.dtype = torch.float32
) -> DeepseekV3ForCausalLM:
    """A freshly initialised model of the preset, its vocabulary sized to the tokenizer."""
    config.vocab_size = 64 * math.ceil(len(tokenizer) / 64)
    config.bos_token_id = tokenizer.bos_token_id
    config.eos_token_id = tokenizer.eos_token_id
    config.pad_token_id = tokenizer.pad_token_id
    config.use_cache = False  # a cache in training silently turns off the packed-document mask
    model = DeepseekV3ForCausalLM(config).to(dtype)
    model.set_attn_implementation(ATTN_IMPLEMENTATION)
    return model


def load_model(path: Path, tokenizer: PreTrainedTokenizerBase) -> DeepseekV3ForCausalLM:
    """A DeepseekV3 checkpoint to fine-tune further (a previous run, k2-small, a converted K2)."""
    model = DeepseekV3ForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    if model.config.vocab_size < len(tokenizer):
        raise ValueError(
            f"{path} has {model.config.vocab_size} token embeddings but the tokenizer has {len(tokenizer)}; "
            "pass the tokenizer it was trained with (--tokenizer)"
        )
    model.config.use_cache = False
    model.set_attn_implementation(ATTN_IMPLEMENTATION)
    return model


class K2SFTTrainer(SFTTrainer):
    """SFTTrainer whose logs also carry the MuonClip callback's numbers."""

    def __init__(self, *args: Any, muonclip_callback: MuonClipCallback, **kwargs: Any) -> None:
        super().__init__(*args, callbacks=[muonclip_callback], **kwargs)
        self.muonclip_callback = muonclip_callback

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model: nn.Module | None = None) -> None:
        """Load a checkpoint's weights through `from_pretrained` when resuming.

        On disk transformers stores the experts per expert (`experts.0.gate_proj.weight`, …) and
        converts them to the 3-D tensors on load; Trainer's own resume path (a plain
        `load_state_dict(strict=False)`) skips that conversion and silently leaves the experts at
        their fresh initialisation. FSDP and DeepSpeed checkpoints keep their own loaders.
        """
        if self.is_fsdp_enabled or self.is_deepspeed_enabled:
            super()._load_from_checkpoint(resume_from_checkpoint, model)
            return
        target = model if model is not None else self.model
        dtype = next(target.parameters()).dtype
        loaded = DeepseekV3ForCausalLM.from_pretrained(resume_from_checkpoint, dtype=dtype)
        target.load_state_dict(loaded.state_dict(), strict=True)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs:
            logs.update(self.muonclip_callback.flush_logs(self.state))
        super().log(logs, start_time)


def build_trainer(config: SFTRunConfig) -> tuple[K2SFTTrainer, DataStats]:
    """Tokenizer, data, model, optimizer and callback, wired into a K2SFTTrainer (not yet trained)."""
    set_seed(config.seed)
    config.out.mkdir(parents=True, exist_ok=True)
    tokenizer = prepare_tokenizer(config)
    dataset, stats = build_dataset(tokenizer, read_exported_jsonl(config.data), config.max_length)
    model = (
        build_model(get_preset(config.preset), tokenizer)
        if config.init is None
        else load_model(config.init, tokenizer)
    )
    optimizer = MuonClip(
        k2_param_groups(model),
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
        momentum=config.momentum,
    )
    args = SFTConfig(
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
        report_to="none",
        disable_tqdm=False,  # a progress bar; logs are written above it
        activation_checkpointing=config.activation_checkpointing,
    )
    callback = MuonClipCallback(ExpertLoadTracker(model, config.bias_update_speed), config.tau)
    trainer = K2SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        optimizers=(optimizer, None),
        muonclip_callback=callback,
    )
    return trainer, stats


def run_sft(config: SFTRunConfig) -> SFTResult:
    """Train (or resume training) as configured; returns where the model is and what happened."""
    trainer, stats = build_trainer(config)
    last = get_last_checkpoint(str(config.out)) if config.resume else None
    output = trainer.train(resume_from_checkpoint=last)
    trainer.save_model(str(config.out))
    if trainer.is_world_process_zero():
        (config.out / "data_stats.json").write_text(json.dumps(asdict(stats), indent=2))
    return SFTResult(
        out=config.out,
        global_step=output.global_step,
        resumed_from=last,
        data=stats,
        log_history=trainer.state.log_history,
        parameters=sum(p.numel() for p in trainer.model.parameters()),
    )
