"""Exported JSONL → token ids with an assistant-only mask."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from datasets import Dataset
from transformers import PreTrainedTokenizerFast
from trl.data_utils import pack_dataset
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

from toolforge.core.k2_chat import render_k2_with_spans
from trainer.data import ExportedConversation, build_dataset, encode_conversation, read_exported_jsonl
from trainer.presets import k2_tiny
from trainer.sft import build_model


def test_reads_messages_and_tools_and_ignores_other_keys(exported_jsonl: Path) -> None:
    first = json.loads(exported_jsonl.read_text().splitlines()[0])
    assert {"id", "metadata"} <= set(first)
    conversation = read_exported_jsonl(exported_jsonl)[0]
    assert conversation.messages == first["messages"] and conversation.tools == first["tools"]


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "x"}]}\n\n{"tools": []}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:3: not an exported conversation"):
        read_exported_jsonl(path)


def test_assistant_mask_covers_exactly_the_assistant_spans(
    tokenizer: PreTrainedTokenizerFast, conversations: list[ExportedConversation]
) -> None:
    for conversation in conversations:
        ids, mask = encode_conversation(tokenizer, conversation)
        text, spans = render_k2_with_spans(conversation.messages, conversation.tools)
        whole = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        assert ids == whole["input_ids"]  # cutting at span edges changes no token
        expected = [int(any(a <= s < b for a, b in spans)) for s, _ in whole["offset_mapping"]]
        assert mask == expected
        # the masked tokens decode to the assistant turns: content, tool calls and <|im_end|>, no header
        masked = [i for i, m in zip(ids, mask, strict=True) if m]
        assert tokenizer.decode(masked) == "".join(text[a:b] for a, b in spans)
        end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        assert sum(1 for i, m in zip(ids, mask, strict=True) if m and i == end) == len(spans)


def test_dataset_drops_conversations_over_max_length(
    tokenizer: PreTrainedTokenizerFast, conversations: list[ExportedConversation]
) -> None:
    lengths = [len(encode_conversation(tokenizer, c)[0]) for c in conversations]
    limit = sorted(lengths)[len(lengths) // 2]
    dataset, stats = build_dataset(tokenizer, conversations, limit)
    assert stats.dropped_too_long == sum(n > limit for n in lengths)
    assert len(dataset) == stats.conversations == len(conversations) - stats.dropped_too_long
    assert set(dataset.column_names) == {"input_ids", "assistant_masks"}
    assert 0 < stats.assistant_tokens < stats.tokens
    with pytest.raises(ValueError, match="raise --max-length"):
        build_dataset(tokenizer, conversations, 5)


def test_packed_rows_restart_positions_and_never_attend_across_documents(
    tokenizer: PreTrainedTokenizerFast, conversations: list[ExportedConversation]
) -> None:
    # pack as the trainer does (TRL bfd + its padding-free collator), then check the summed loss of
    # a packed row equals the sum over its documents run one by one
    dataset, _ = build_dataset(tokenizer, conversations[:40], 1024)
    labeled = Dataset.from_dict(
        {
            "input_ids": dataset["input_ids"],
            "labels": [
                [t if m else -100 for t, m in zip(ids, mask, strict=True)]
                for ids, mask in zip(dataset["input_ids"], dataset["assistant_masks"], strict=True)
            ],
        }
    )
    row = max(pack_dataset(labeled, 1024, strategy="bfd"), key=lambda r: len(r["seq_lengths"]))
    batch = DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id, padding_free=True)([row])
    lengths = row["seq_lengths"]
    assert len(lengths) >= 3 and "attention_mask" not in batch
    assert batch["position_ids"][0].tolist() == [p for n in lengths for p in range(n)]

    torch.manual_seed(0)
    model = build_model(k2_tiny(), tokenizer).eval()
    assert model.config.use_cache is False

    def summed_loss(input_ids: torch.Tensor, labels: torch.Tensor, **kw: torch.Tensor) -> torch.Tensor:
        logits = model(input_ids=input_ids, **kw).logits[0, :-1].double()
        return torch.nn.functional.cross_entropy(logits, labels[0, 1:], ignore_index=-100, reduction="sum")

    with torch.no_grad():
        packed = summed_loss(batch["input_ids"], batch["labels"], position_ids=batch["position_ids"])
        alone, start = torch.zeros((), dtype=torch.float64), 0
        for n in lengths:
            ids = batch["input_ids"][:, start : start + n]
            alone += summed_loss(ids, batch["labels"][:, start : start + n])
            start += n
        leaky = summed_loss(batch["input_ids"], batch["labels"])  # no position ids: one long document
    assert packed.item() == pytest.approx(alone.item(), rel=1e-5)
    # and that tolerance would catch a leak: attending across documents moves the loss 20× further
    assert abs(leaky.item() - alone.item()) > 20 * 1e-5 * alone.item()
