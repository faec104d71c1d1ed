"""Tool calls read back from model output (tagged and K2 forms), messages made template-ready, and
the check that a chat template renders tools."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import PreTrainedTokenizerFast

from toolforge.core.k2_chat import render_k2
from toolforge.core.llm.config import LLMConfig
from toolforge.core.llm.tool_tags import parse_tool_calls, template_gaps, template_messages
from trainer.tokenizer import train_bpe_tokenizer


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    """A small BPE with K2's special tokens and the K2 chat template."""
    return train_bpe_tokenizer(["Weather in Oslo? get_weather returned sunny."] * 20, vocab_size=300)


def test_tagged_calls_are_parsed_and_the_text_around_them_kept() -> None:
    text = (
        'Let me look.<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>\n'
        '<tool_call>\n{"name": "get_time", "arguments": "{}"}\n</tool_call>'
    )
    parsed = parse_tool_calls(text)
    assert parsed.text == "Let me look." and parsed.format == "tags" and parsed.error is None
    assert parsed.calls == [("get_weather", {"city": "Oslo"}), ("get_time", {})]


def test_a_malformed_tag_is_not_a_call_and_stays_in_the_text() -> None:
    text = '<tool_call>{"name": get_weather}</tool_call> and <tool_call>[1, 2]</tool_call>'
    parsed = parse_tool_calls(text)
    assert parsed.calls == []
    assert parsed.text == text
    assert parsed.error and parsed.error.startswith("<tool_call> 0 is not valid JSON")


def test_k2_sections_are_parsed_from_the_k2_rendering() -> None:
    messages = [
        {"role": "user", "content": "Weather in Oslo and Lima?"},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {"id": "functions.get_weather:0", "type": "function",
                 "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}},
                {"id": "functions.get_weather:1", "type": "function",
                 "function": {"name": "get_weather", "arguments": '{"city": "Lima"}'}},
            ],
        },
    ]  # fmt: skip
    rendered = render_k2(messages)
    reply = rendered[rendered.rindex("<|im_middle|>") + len("<|im_middle|>") : rendered.rindex("<|im_end|>")]
    parsed = parse_tool_calls(reply)
    assert parsed.text == "Checking." and parsed.format == "k2"
    assert parsed.calls == [("get_weather", {"city": "Oslo"}), ("get_weather", {"city": "Lima"})]


def test_a_readable_call_is_kept_beside_an_unreadable_one_and_bare_json_is_read() -> None:
    parsed = parse_tool_calls(
        '<tool_call>{"name": "f", "arguments": [1]}</tool_call><tool_call>{"name": "g"}'
    )
    assert parsed.calls == [("g", {})]
    assert parsed.text == '<tool_call>{"name": "f", "arguments": [1]}</tool_call>'
    assert parsed.error == "<tool_call> 0: arguments must be a JSON object, got list"
    bare = parse_tool_calls('```json\n{"name": "f", "arguments": {"a": 1}}\n```')
    assert bare.calls == [("f", {"a": 1})] and bare.text == "" and bare.format == "json"


def test_template_messages_join_text_parts_and_decode_arguments() -> None:
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "Find "}, {"type": "text", "text": "a lamp"}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "search", "arguments": '{"q": "lamp"}'}}
        ]},
        {"role": "assistant", "content": "Done.", "tool_calls": []},
    ]  # fmt: skip
    out = template_messages(messages)
    assert out[0]["content"] == "Find a lamp"
    assert out[1]["content"] == "" and out[1]["tool_calls"][0]["function"]["arguments"] == {"q": "lamp"}
    assert "tool_calls" not in out[2]
    assert messages[1]["tool_calls"][0]["function"]["arguments"] == '{"q": "lamp"}'  # input untouched


def test_template_gaps_name_what_a_template_leaves_out(tokenizer: PreTrainedTokenizerFast) -> None:
    plain = PreTrainedTokenizerFast(tokenizer_object=tokenizer.backend_tokenizer)
    assert template_gaps(plain) == ["anything (the tokenizer has no chat template)"]
    plain.chat_template = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
    assert template_gaps(plain) == ["the offered tools", "assistant tool calls"]
    plain.chat_template = "{{ raise_exception('no tools here') }}"
    assert template_gaps(plain)[0].startswith("a tool conversation (the template raised")
    assert template_gaps(tokenizer) == []  # the K2 template renders all three


def test_model_strings_that_name_checkpoints_and_gguf_files(tmp_path: Path) -> None:
    directory = LLMConfig(model=str(tmp_path))
    assert directory.checkpoint_dir == tmp_path and directory.effective_tool_mode == "native"
    assert LLMConfig(model="./runs/missing").checkpoint_dir is not None  # path-like: the loader reports it
    gguf = LLMConfig(model=str(tmp_path / "m.gguf"), tool_mode="native")
    assert gguf.gguf_file == tmp_path / "m.gguf" and gguf.is_local and gguf.effective_tool_mode == "json"
    assert gguf.checkpoint_dir is None
    hosted = LLMConfig(model="openai/gpt-4o-mini")
    assert hosted.checkpoint_dir is None and hosted.gguf_file is None and not hosted.is_local
