"""Exported trajectories → token ids with an assistant-only loss mask.

Input: the exporter's OpenAI chat JSONL, one `{"messages": [...], "tools": [...]}` per line (other
keys are ignored). Each conversation is rendered with `render_k2_with_spans`; the text is cut at
the assistant span boundaries, which always fall next to special tokens (`<|im_middle|>` before,
`<|im_end|>` ending the span), so tokenizing the pieces gives exactly the tokens of the whole
text, and the assistant mask covers exactly the assistant spans (content, tool calls, `<|im_end|>`).
Packing and the padding-free collator come from TRL (`packing=True`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets import Dataset
from pydantic import BaseModel, ConfigDict, ValidationError
from transformers import PreTrainedTokenizerBase

from toolforge.core.k2_chat import render_k2_with_spans

__all__ = ["DataStats", "ExportedConversation", "build_dataset", "encode_conversation", "read_exported_jsonl"]


class ExportedConversation(BaseModel):
    """One exporter line; keys other than `messages` and `tools` (id, metadata, …) are ignored."""

    model_config = ConfigDict(extra="ignore")

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None


def read_exported_jsonl(path: Path) -> list[ExportedConversation]:
    """Read the exporter's JSONL; a bad line raises ValueError naming its line number."""
    conversations = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                conversations.append(ExportedConversation.model_validate(json.loads(line)))
            except (json.JSONDecodeError, ValidationError) as e:
                raise ValueError(f"{path}:{number}: not an exported conversation: {e}") from e
    if not conversations:
        raise ValueError(f"{path} holds no conversations")
    return conversations


def encode_conversation(
    tokenizer: PreTrainedTokenizerBase, conversation: ExportedConversation
) -> tuple[list[int], list[int]]:
    """Token ids of the K2 rendering and a 0/1 mask that is 1 on assistant tokens."""
    text, spans = render_k2_with_spans(conversation.messages, conversation.tools)
    pieces: list[tuple[str, int]] = []
    cursor = 0
    for start, end in spans:
        pieces += [(text[cursor:start], 0), (text[start:end], 1)]
        cursor = end
    pieces.append((text[cursor:], 0))
    pieces = [(piece, flag) for piece, flag in pieces if piece]
    encoded = tokenizer([piece for piece, _ in pieces], add_special_tokens=False)["input_ids"]
    input_ids: list[int] = []
    mask: list[int] = []
    for ids, (_, flag) in zip(encoded, pieces, strict=True):
        input_ids += ids
        mask += [flag] * len(ids)
    return input_ids, mask


@dataclass(frozen=True)
class DataStats:
    conversations: int
    dropped_too_long: int
    tokens: int
    assistant_tokens: int


Encoder = Callable[[PreTrainedTokenizerBase, ExportedConversation], tuple[list[int], list[int]]]


def build_dataset(
    tokenizer: PreTrainedTokenizerBase,
    conversations: list[ExportedConversation],
    max_length: int,
    encode: Encoder = encode_conversation,
) -> tuple[Dataset, DataStats]:
    """A dataset of `input_ids` + `assistant_masks`; conversations over `max_length` are dropped.
    `encode` renders and masks one conversation (default: the K2 format)."""
    rows: dict[str, list[list[int]]] = {"input_ids": [], "assistant_masks": []}
    dropped = 0
    for conversation in conversations:
        ids, mask = encode(tokenizer, conversation)
        if len(ids) > max_length:
            dropped += 1
            continue
        if not any(mask):
            raise ValueError("a conversation has no assistant turn to learn from")
        rows["input_ids"].append(ids)
        rows["assistant_masks"].append(mask)
    if not rows["input_ids"]:
        raise ValueError(f"every conversation is longer than max_length={max_length}; raise --max-length")
    stats = DataStats(
        conversations=len(rows["input_ids"]),
        dropped_too_long=dropped,
        tokens=sum(len(ids) for ids in rows["input_ids"]),
        assistant_tokens=sum(sum(mask) for mask in rows["assistant_masks"]),
    )
    return Dataset.from_dict(rows), stats
