"""The Jinja chat template renders exactly what `render_k2` renders, and its generation markers
cover exactly the assistant spans."""

from __future__ import annotations

import json

import pytest
from transformers import PreTrainedTokenizerFast

from toolforge.core.k2_chat import render_k2_with_spans
from trainer.data import ExportedConversation

EDGE_CASES: list[tuple[list[dict], list[dict] | None]] = [
    ([{"role": "user", "content": "no system, no tools"}], None),
    (
        [
            {"role": "system", "content": "s", "name": "policy"},
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "functions.f:0",
                        "type": "function",
                        "function": {"name": "f", "arguments": {"x": "é"}},
                    },
                    {"id": "functions.f:0", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                    {"type": "function", "function": {"name": "g", "arguments": "[1, 2]"}},
                ],
            },
            {"role": "tool", "tool_call_id": "functions.f:0", "content": "dup"},
            {"role": "tool", "content": "no id"},
            {"role": "tool", "tool_call_id": "unknown", "name": "f", "content": "orphan"},
            {"role": "assistant", "content": "", "tool_calls": []},
            {"role": "developer", "content": "other roles use <|im_system|>"},
            {"role": "assistant", "content": "end\nwith newline "},
        ],
        [
            {
                "type": "function",
                "function": {"name": "f", "description": "ü <b>", "parameters": {"type": "object"}},
            }
        ],
    ),
    (  # rows read back from Arrow/parquet carry every key, None where absent
        [
            {"role": "system", "content": "s", "name": None, "tool_calls": None, "tool_call_id": None},
            {"role": "user", "content": "u", "name": None, "tool_calls": None, "tool_call_id": None},
            {
                "role": "assistant",
                "content": None,
                "name": None,
                "tool_calls": [
                    {"id": None, "type": "function", "function": {"name": "f", "arguments": None}}
                ],
                "tool_call_id": None,
            },
            {"role": "tool", "content": "r", "name": None, "tool_calls": None, "tool_call_id": None},
        ],
        None,
    ),
]


def _cases(conversations: list[ExportedConversation]) -> list[tuple[list[dict], list[dict] | None]]:
    return [(c.messages, c.tools) for c in conversations] + EDGE_CASES


@pytest.mark.parametrize("add_generation_prompt", [False, True])
def test_template_renders_the_same_bytes_as_render_k2(
    tokenizer: PreTrainedTokenizerFast, conversations: list[ExportedConversation], add_generation_prompt: bool
) -> None:
    for messages, tools in _cases(conversations):
        jinja = tokenizer.apply_chat_template(
            messages, tools=tools, tokenize=False, add_generation_prompt=add_generation_prompt
        )
        assert jinja == render_k2_with_spans(messages, tools, add_generation_prompt)[0], json.dumps(messages)


def test_generation_mask_is_exactly_the_assistant_spans(
    tokenizer: PreTrainedTokenizerFast, conversations: list[ExportedConversation]
) -> None:
    for messages, tools in _cases(conversations)[:40] + EDGE_CASES:
        text, spans = render_k2_with_spans(messages, tools)
        out = tokenizer.apply_chat_template(
            messages, tools=tools, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        assert out["input_ids"] == encoded["input_ids"]
        expected = [int(any(a <= s < b for a, b in spans)) for s, _ in encoded["offset_mapping"]]
        assert out["assistant_masks"] == expected
