"""SFT on exported trajectories: a K2-architecture model with MuonClip, or any causal LM.

`run_sft(config)` picks the path: a fresh K2 preset or a K2 (DeepseekV3) checkpoint trains here;
any other model (`--model`, or `--init` of a non-K2 checkpoint) trains on the generic path
(`hf_sft.py`). On the K2 path it builds (or reloads, on resume) the tokenizer, renders and tokenizes the data,
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
from typing import Any

import torch
from torch import nn
from transformers import DeepseekV3Config, DeepseekV3ForCausalLM, PreTrainedTokenizerBase, set_seed
from transformers.trainer_utils import get_last_checkpoint
from trl.trainer.sft_trainer import SFTTrainer

from toolforge.core.k2_chat import render_k2
from trainer.callback import MuonClipCallback
from trainer.data import DataStats, build_dataset, read_exported_jsonl
from trainer.hf_model import ModelSource, is_k2_checkpoint, resolve_model
from trainer.hf_sft import build_hf_trainer, save_hf_model
from trainer.muon import MuonClip, k2_param_groups
from trainer.presets import get_preset
from trainer.qk_clip import ATTN_IMPLEMENTATION
from trainer.routing import ExpertLoadTracker
from trainer.run_config import SFTRunConfig, sft_arguments
from trainer.time_limit import TimeLimit
from trainer.tokenizer import load_tokenizer, special_ids, train_bpe_tokenizer

__all__ = [
    "K2SFTTrainer",
    "SFTResult",
    "SFTRunConfig",
    "build_model",
    "build_trainer",
    "generic_model",
    "load_model",
    "prepare_tokenizer",
    "run_sft",
]

TOKENIZER_DIR = "tokenizer"


@dataclass(frozen=True)
class SFTResult:
    out: Path
    global_step: int
    resumed_from: str | None
    data: DataStats
    log_history: list[dict[str, Any]]
    parameters: int
    chat_template: str = "k2"  # "k2", or on the generic path "model" (its own) or "fallback"


def generic_model(config: SFTRunConfig) -> ModelSource | None:
    """The model of the generic path, or None when the run trains K2 (a preset or a K2 checkpoint)."""
    if config.model is not None and config.init is not None:
        raise ValueError("pass either --model or --init, not both (they name the model to fine-tune)")
    name = config.model if config.model is not None else str(config.init) if config.init else None
    if name is None or is_k2_checkpoint(Path(name).expanduser()):
        return None
    return resolve_model(name)


def _k2_run(config: SFTRunConfig) -> SFTRunConfig:
    """A K2 run's config with a K2 checkpoint named by --model moved to `init`."""
    if config.model is None:
        return config
    return config.model_copy(update={"init": Path(config.model).expanduser(), "model": None})


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
    config.bos_token_id, config.eos_token_id, config.pad_token_id = special_ids(tokenizer)
    config.use_cache = False  # a cache in training silently turns off the packed-document mask
    # transformers types `PreTrainedModel.to` through its generate mixin, which rejects a dtype
    model = DeepseekV3ForCausalLM(config).to(dtype)  # pyright: ignore[reportArgumentType]
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
        assert target is not None  # transformers types it optional; a trainer that resumes holds one
        dtype = next(target.parameters()).dtype
        loaded = DeepseekV3ForCausalLM.from_pretrained(resume_from_checkpoint, dtype=dtype)
        target.load_state_dict(loaded.state_dict(), strict=True)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs:
            logs.update(self.muonclip_callback.flush_logs(self.state))
        super().log(logs, start_time)


def build_trainer(config: SFTRunConfig) -> tuple[K2SFTTrainer, DataStats]:
    """Tokenizer, data, model, optimizer and callback, wired into a K2SFTTrainer (not yet trained)."""
    if generic_model(config) is not None:
        raise ValueError(f"{config.model or config.init} is not a K2 checkpoint; run_sft trains it")
    config = _k2_run(config)
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
    args = sft_arguments(config)
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
    source = generic_model(config)
    trainer: SFTTrainer
    if source is None:
        trainer, stats = build_trainer(config)
        template = "k2"
    else:
        trainer, stats, template = build_hf_trainer(config, source)
    if config.max_train_s is not None:
        trainer.add_callback(TimeLimit(config.max_train_s))
    last = get_last_checkpoint(str(config.out)) if config.resume else None
    output = trainer.train(resume_from_checkpoint=last)
    assert trainer.model is not None  # transformers types it optional; a built trainer holds one
    parameters = sum(p.numel() for p in trainer.model.parameters())
    if source is None:
        trainer.save_model(str(config.out))
    elif trainer.is_world_process_zero():
        tokenizer = trainer.processing_class
        assert isinstance(tokenizer, PreTrainedTokenizerBase)  # build_hf_trainer passes one
        save_hf_model(trainer, tokenizer, config.out)
    if trainer.is_world_process_zero():
        (config.out / "data_stats.json").write_text(json.dumps(asdict(stats), indent=2))
    return SFTResult(
        out=config.out,
        global_step=output.global_step,
        resumed_from=last,
        data=stats,
        log_history=trainer.state.log_history,
        parameters=parameters,
        chat_template=template,
    )
