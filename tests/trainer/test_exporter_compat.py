"""The trainer reads what the real exporter (`toolforge.export`) writes: its OpenAI JSONL renders
to the exporter's own K2 text, the template agrees, and a short SFT run trains on it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from toolforge.core.k2_chat import render_k2_with_spans
from toolforge.core.store import Store
from toolforge.export import ExportConfig, export_store
from trainer.data import encode_conversation, read_exported_jsonl
from trainer.sft import SFTRunConfig, run_sft
from trainer.tokenizer import load_tokenizer

_spec = importlib.util.spec_from_file_location(
    "export_fixtures", Path(__file__).parents[1] / "export" / "export_fixtures.py"
)
assert _spec is not None and _spec.loader is not None
export_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(export_fixtures)


@pytest.fixture
def exported(sqlite_store: Store, tmp_path: Path) -> dict[str, Path]:
    export_fixtures.build(sqlite_store)
    result = export_store(sqlite_store, tmp_path / "export", ExportConfig(), run_key="run1", judge_key="j1")
    return result.files


def test_exported_openai_lines_render_to_the_exported_k2_text(exported: dict[str, Path]) -> None:
    conversations = read_exported_jsonl(exported["openai"])
    k2_texts = [json.loads(line)["text"] for line in exported["k2"].read_text().splitlines()]
    assert len(conversations) == len(k2_texts) > 0
    for conversation, k2_text in zip(conversations, k2_texts, strict=True):
        text, spans = render_k2_with_spans(conversation.messages, conversation.tools)
        assert text == k2_text
        assert spans and all(text[b - len("<|im_end|>") : b] == "<|im_end|>" for _, b in spans)


@pytest.mark.slow
def test_sft_trains_on_the_real_export(exported: dict[str, Path], tmp_path: Path) -> None:
    result = run_sft(
        SFTRunConfig(
            data=exported["openai"],
            out=tmp_path / "run",
            max_steps=3,
            learning_rate=3e-3,
            max_length=1024,
            logging_steps=1,
            save_steps=3,
            bpe_vocab_size=512,
        )  # fmt: skip
    )
    assert result.global_step == 3 and result.data.conversations == len(
        read_exported_jsonl(exported["openai"])
    )
    tokenizer_dir = tmp_path / "run" / "tokenizer"
    tokenizer = load_tokenizer(tokenizer_dir)
    for conversation in read_exported_jsonl(exported["openai"]):
        ids, mask = encode_conversation(tokenizer, conversation)
        rendered = tokenizer.apply_chat_template(
            conversation.messages, tools=conversation.tools, tokenize=False
        )
        assert rendered == render_k2_with_spans(conversation.messages, conversation.tools)[0]
        assert 0 < sum(mask) < len(ids)
