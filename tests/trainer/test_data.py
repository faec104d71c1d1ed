"""Exported JSONL → token ids with an assistant-only mask."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transformers import PreTrainedTokenizerFast

from toolforge.core.k2_chat import render_k2_with_spans
from trainer.data import ExportedConversation, build_dataset, encode_conversation, read_exported_jsonl


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
