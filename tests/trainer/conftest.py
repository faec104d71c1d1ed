"""Trainer fixtures: exporter-format data written by `trainer.sample_data`, and a BPE tokenizer on it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from transformers import PreTrainedTokenizerFast

from toolforge.core.k2_chat import render_k2
from trainer.data import ExportedConversation, read_exported_jsonl
from trainer.sample_data import write_sample_jsonl
from trainer.tokenizer import train_bpe_tokenizer

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def exported_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 trajectories in the exporter's OpenAI chat JSONL format."""
    return write_sample_jsonl(tmp_path_factory.mktemp("export") / "openai.jsonl", 300, seed=7)


@pytest.fixture(scope="session")
def conversations(exported_jsonl: Path) -> list[ExportedConversation]:
    return read_exported_jsonl(exported_jsonl)


@pytest.fixture(scope="session")
def tokenizer(conversations: list[ExportedConversation]) -> PreTrainedTokenizerFast:
    return train_bpe_tokenizer(render_k2(c.messages, c.tools) for c in conversations)


@pytest.fixture(scope="session")
def tiny_llama(tokenizer: PreTrainedTokenizerFast, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised two-layer Llama saved with a tokenizer that has no chat template: an
    ordinary Hugging Face checkpoint directory, made here (no hub)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    path = tmp_path_factory.mktemp("tiny-llama")
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(str(path))
    plain = copy.deepcopy(tokenizer)
    plain.chat_template = None
    plain.save_pretrained(str(path))
    return path
