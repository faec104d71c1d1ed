"""A tiny randomly initialised Llama checkpoint, made offline, for smoke runs, tests and benches.

It is an ordinary Hugging Face checkpoint directory (config, safetensors weights, a fast tokenizer)
whose tokenizer is a byte-level BPE trained on the given texts and has no chat template, as many
base models ship: training it exercises the generic SFT path and the fallback tool template.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from trainer.tokenizer import special_ids, train_bpe_tokenizer

__all__ = ["write_tiny_llama"]


def write_tiny_llama(
    path: Path, texts: Iterable[str], vocab_size: int = 2048, hidden_size: int = 64, seed: int = 0
) -> Path:
    """Write a two-layer Llama (64 wide by default) and its tokenizer to `path`; returns `path`."""
    tokenizer = train_bpe_tokenizer(texts, vocab_size=vocab_size)
    tokenizer.chat_template = None
    bos, eos, pad = special_ids(tokenizer)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return path
