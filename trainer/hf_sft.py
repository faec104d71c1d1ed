"""SFT of any Hugging Face causal LM on exported trajectories (the generic path).

The model and its tokenizer load with transformers' Auto classes (`hf_model.py`); conversations are
rendered with the model's chat template when it renders tools, else the fallback tool template
(`tool_template.py`), with the loss on assistant tokens only; TRL's SFTTrainer trains with AdamW,
the same packing as the K2 path, and LoRA adapters (peft) with `lora=True`. The final model is
saved with `save_pretrained` next to its tokenizer and template (a LoRA run saves the merged model,
and its adapter in `lora-adapter/`), so rollouts and eval load `out` directly.
"""

from __future__ import annotations

from pathlib import Path

from peft import LoraConfig, PeftModel, get_peft_model
from transformers import PreTrainedModel, PreTrainedTokenizerBase, set_seed
from trl.trainer.sft_trainer import SFTTrainer

from trainer.data import DataStats, build_dataset, read_exported_jsonl
from trainer.hf_model import ModelSource, load_causal_lm
from trainer.run_config import SFTRunConfig, sft_arguments
from trainer.tool_template import encode_with_template, use_tool_template

__all__ = ["LORA_ADAPTER_DIR", "build_hf_trainer", "save_hf_model"]

LORA_ADAPTER_DIR = "lora-adapter"


def build_hf_trainer(config: SFTRunConfig, source: ModelSource) -> tuple[SFTTrainer, DataStats, str]:
    """The model, its tokenizer with the template to train with, the masked data and the trainer
    (not yet trained); also which template was used ("model" or "fallback")."""
    set_seed(config.seed)
    config.out.mkdir(parents=True, exist_ok=True)
    model, tokenizer = load_causal_lm(source)
    template = use_tool_template(tokenizer, config.chat_template, source.name)
    dataset, stats = build_dataset(
        tokenizer, read_exported_jsonl(config.data), config.max_length, encode_with_template
    )
    if config.lora:
        lora = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=0.0,
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, lora)
    trainer = SFTTrainer(
        model=model, args=sft_arguments(config), train_dataset=dataset, processing_class=tokenizer
    )
    return trainer, stats, template


def save_hf_model(trainer: SFTTrainer, tokenizer: PreTrainedTokenizerBase, out: Path) -> None:
    """The trained model (LoRA merged in) and its tokenizer in `out`, ready for inference."""
    model = trainer.model
    if isinstance(model, PeftModel):
        model.save_pretrained(str(out / LORA_ADAPTER_DIR))
        model = model.merge_and_unload()
    if not isinstance(model, PreTrainedModel):
        raise TypeError(f"expected a transformers model to save, got {type(model).__name__}")
    model.config.use_cache = True  # training turned it off; generation wants it
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
