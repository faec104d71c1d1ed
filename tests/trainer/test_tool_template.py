"""The template a generic model trains with, and the assistant-only mask it gives, for any template."""

from __future__ import annotations

import copy
import logging

import pytest
from transformers import PreTrainedTokenizerFast

from toolforge.core.llm.tool_tags import template_gaps, template_messages
from trainer.data import ExportedConversation
from trainer.tool_template import (
    assistant_spans,
    encode_with_template,
    fallback_tool_template,
    use_tool_template,
)

# A model's own template that renders tools, calls and results (and no generation markers).
OWN_TEMPLATE = (
    "{% for t in tools or [] %}TOOL {{ t.function.name }}\n{% endfor %}"
    "{% for m in messages %}[{{ m.role }}] {{ m.content }}"
    "{% for c in m.tool_calls or [] %} CALL {{ c.function.name }} {{ c.function.arguments | tojson }}{% endfor %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}"
)


@pytest.fixture
def plain(tokenizer: PreTrainedTokenizerFast) -> PreTrainedTokenizerFast:
    """The trainer's BPE with no chat template, like a base model's tokenizer."""
    fresh = copy.deepcopy(tokenizer)
    fresh.chat_template = None
    return fresh


def _with_tools(conversations: list[ExportedConversation]) -> ExportedConversation:
    return next(c for c in conversations if c.tools and any(m.get("tool_calls") for m in c.messages))


def test_a_template_that_renders_tools_is_kept(plain: PreTrainedTokenizerFast) -> None:
    plain.chat_template = OWN_TEMPLATE
    assert use_tool_template(plain, "model", "own") == "model"
    assert plain.chat_template == OWN_TEMPLATE
    assert use_tool_template(plain, "fallback", "own") == "fallback"
    assert plain.chat_template == fallback_tool_template()


def test_a_template_without_tools_is_replaced_by_the_fallback_with_a_warning(
    plain: PreTrainedTokenizerFast, caplog: pytest.LogCaptureFixture
) -> None:
    plain.chat_template = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
    with caplog.at_level(logging.WARNING, logger="trainer.tool_template"):
        assert use_tool_template(plain, "model", "base-model") == "fallback"
    assert "base-model does not render the offered tools, assistant tool calls" in caplog.text
    assert template_gaps(plain) == []  # the fallback renders tools, calls and results


@pytest.mark.parametrize("template", ["fallback", "own"])
def test_the_mask_covers_exactly_the_assistant_turns(
    plain: PreTrainedTokenizerFast, conversations: list[ExportedConversation], template: str
) -> None:
    plain.chat_template = fallback_tool_template() if template == "fallback" else OWN_TEMPLATE
    conversation = _with_tools(conversations)
    ids, mask = encode_with_template(plain, conversation)
    text, spans = assistant_spans(plain, conversation)
    assert len(ids) == len(mask) and plain.decode(ids) == text

    masked = plain.decode([i for i, m in zip(ids, mask, strict=True) if m])
    expected = "".join(text[start:end] for start, end in spans)
    if template == "fallback":  # its turns start after a newline: token and turn boundaries agree
        assert masked == expected
    else:  # a turn after "[assistant] " starts with a token that takes in that space
        assert all(text[start:end].strip() in masked for start, end in spans)
        assert len(expected) <= len(masked) <= len(expected) + len(spans)
    unmasked = plain.decode([i for i, m in zip(ids, mask, strict=True) if not m])
    assistant = [m for m in template_messages(conversation.messages) if m["role"] == "assistant"]
    for message in assistant:  # every assistant turn's text and calls are learned...
        assert message["content"] in masked
        for call in message.get("tool_calls", []):
            assert call["function"]["name"] in masked
    assert masked.count("<|im_end|>") == len(assistant)  # ...with its end-of-turn marker
    user = next(m for m in template_messages(conversation.messages) if m["role"] == "user")
    assert user["content"] in unmasked and user["content"] not in masked  # the prompt is not


def test_a_template_that_rewrites_earlier_turns_cannot_be_masked(
    plain: PreTrainedTokenizerFast, conversations: list[ExportedConversation]
) -> None:
    plain.chat_template = "{{ messages | length }} turns\n" + OWN_TEMPLATE
    with pytest.raises(ValueError, match="--chat-template fallback"):
        encode_with_template(plain, _with_tools(conversations))
