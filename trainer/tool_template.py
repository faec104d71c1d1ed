"""Any Hugging Face model's chat template, with tools: the template choice and the assistant-only mask.

A model's own template is used when it renders tools, tool calls and tool results
(`toolforge.core.llm.tool_tags.template_gaps`); otherwise (or with `chat_template="fallback"`) the
fallback `tool_chat_template.jinja` is installed on the tokenizer: ChatML turns, the tools as JSON in
`<tools>`, calls as `<tool_call>{"name", "arguments"}</tool_call>`, results in `<tool_response>`.
The checkpoint is saved with the template it was trained with, so rollouts and eval render the same.

The loss mask works for any template, with or without `{% generation %}` markers: assistant turn i
spans from the end of `render(messages[:i], add_generation_prompt=True)` to the end of
`render(messages[:i+1])` in the whole conversation's text; tokens that overlap a span are assistant
tokens (the turn's content, its tool calls and its end-of-turn marker; a token that straddles the
start, like " I" after a prompt ending in a space, is learned too: it is what the model must emit).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from transformers import PreTrainedTokenizerBase

from toolforge.core.llm.tool_tags import template_gaps, template_messages
from trainer.data import ExportedConversation

__all__ = ["TemplateChoice", "encode_with_template", "fallback_tool_template", "use_tool_template"]

logger = logging.getLogger(__name__)

TemplateChoice = Literal["model", "fallback"]


def fallback_tool_template() -> str:
    return Path(__file__).with_name("tool_chat_template.jinja").read_text(encoding="utf-8")


def use_tool_template(tokenizer: PreTrainedTokenizerBase, choice: TemplateChoice, model: str) -> str:
    """Set the template to train with on `tokenizer`; returns which one: "model" or "fallback"."""
    if choice == "model":
        gaps = template_gaps(tokenizer)
        if not gaps:
            return "model"
        logger.warning(
            "the chat template of %s does not render %s: training with toolforge's fallback tool template",
            model,
            ", ".join(gaps),
        )
    tokenizer.chat_template = fallback_tool_template()
    return "fallback"


def _render(
    tokenizer: PreTrainedTokenizerBase,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    add_generation_prompt: bool = False,
) -> str:
    text = tokenizer.apply_chat_template(
        messages,
        tools=tools,  # pyright: ignore[reportArgumentType]  # it takes list[dict | Callable]; lists are invariant
        tokenize=False,
        add_generation_prompt=add_generation_prompt,
    )
    assert isinstance(text, str)
    return text


def assistant_spans(
    tokenizer: PreTrainedTokenizerBase, conversation: ExportedConversation
) -> tuple[str, list[tuple[int, int]]]:
    """The conversation's text and the character spans of its assistant turns."""
    messages = template_messages(conversation.messages)
    tools = conversation.tools or None
    text = _render(tokenizer, messages, tools)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:i], tools, add_generation_prompt=True)
        through = _render(tokenizer, messages[: i + 1], tools)
        if not (through.startswith(before) and text.startswith(through)):
            raise ValueError(
                "the chat template does not render a conversation as the prefix of its continuation "
                "(it rewrites earlier turns), so assistant turns cannot be masked; train with "
                "--chat-template fallback"
            )
        spans.append((len(before), len(through)))
    return text, spans


def encode_with_template(
    tokenizer: PreTrainedTokenizerBase, conversation: ExportedConversation
) -> tuple[list[int], list[int]]:
    """Token ids of the templated conversation and a 0/1 mask that is 1 on assistant tokens."""
    text, spans = assistant_spans(tokenizer, conversation)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    mask = [
        int(any(first < end and last > start for start, end in spans))
        for first, last in encoded["offset_mapping"]
    ]
    return list(encoded["input_ids"]), mask
