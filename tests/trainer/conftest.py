"""Trainer fixtures: exporter-format data written by `toolforge_testing.sample_trajectories`, and a BPE tokenizer on it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import PreTrainedTokenizerFast

from toolforge.core.k2_chat import render_k2
from toolforge_testing.sample_trajectories import write_sample_jsonl
from toolforge_testing.tiny_llama import write_tiny_llama
from trainer.data import ExportedConversation, read_exported_jsonl
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
def tiny_llama(conversations: list[ExportedConversation], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random two-layer Llama whose tokenizer has no chat template, made here (no hub)."""
    texts = (render_k2(c.messages, c.tools) for c in conversations)
    return write_tiny_llama(tmp_path_factory.mktemp("tiny-llama"), texts)
