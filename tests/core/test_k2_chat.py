"""The canonical K2 renderer: layout, tool-call ids, tool results, assistant spans."""

from __future__ import annotations

import json

import pytest

from toolforge.core.k2_chat import DEFAULT_SYSTEM_PROMPT, render_k2, render_k2_with_spans

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get weather information. Call this tool when the user needs to get weather information",
        "parameters": {
            "type": "object",
            "required": ["city"],
            "properties": {"city": {"type": "string", "description": "City name"}},
        },
    },
}


def test_matches_the_published_k2_stream_byte_for_byte() -> None:
    # The end-to-end "stage 2" prompt of the K2 tool-calling format, rendered by the released template.
    messages = [
        {"role": "system", "content": DEFAULT_SYSTEM_PROMPT},
        {"role": "user", "content": "What's the weather like in Beijing today? Use the tool to check."},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "functions.get_weather:0",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Beijing"}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "functions.get_weather:0",
            "name": "get_weather",
            "content": '{"weather": "Sunny"}',
        },
    ]
    expected = (
        '<|im_system|>tool_declare<|im_middle|>[{"type":"function","function":{"name":"get_weather",'
        '"description":"Get weather information. Call this tool when the user needs to get weather information",'
        '"parameters":{"type":"object","required":["city"],"properties":{"city":{"type":"string",'
        '"description":"City name"}}}}}]<|im_end|>'
        "<|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot AI.<|im_end|>"
        "<|im_user|>user<|im_middle|>What's the weather like in Beijing today? Use the tool to check.<|im_end|>"
        "<|im_assistant|>assistant<|im_middle|><|tool_calls_section_begin|><|tool_call_begin|>"
        'functions.get_weather:0<|tool_call_argument_begin|>{"city": "Beijing"}<|tool_call_end|>'
        "<|tool_calls_section_end|><|im_end|>"
        "<|im_system|>get_weather<|im_middle|>## Return of functions.get_weather:0\n"
        '{"weather": "Sunny"}<|im_end|><|im_assistant|>assistant<|im_middle|>'
    )
    assert render_k2(messages, [WEATHER_TOOL], add_generation_prompt=True) == expected


def test_default_system_prompt_only_without_a_system_message_and_no_tool_turn_without_tools() -> None:
    text = render_k2([{"role": "user", "content": "hi"}], None)
    assert text == (
        f"<|im_system|>system<|im_middle|>{DEFAULT_SYSTEM_PROMPT}<|im_end|><|im_user|>user<|im_middle|>hi<|im_end|>"
    )
    assert (
        render_k2([{"role": "system", "content": "s"}], []) == "<|im_system|>system<|im_middle|>s<|im_end|>"
    )


def _call(call_id: str | None, name: str, args: object = "{}") -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def test_openai_ids_are_rewritten_per_turn_and_results_follow() -> None:
    messages = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u"},
        {"role": "assistant", "content": None, "tool_calls": [_call("call_a", "f"), _call("call_b", "g")]},
        {"role": "tool", "tool_call_id": "call_b", "content": "rb"},
        {"role": "tool", "tool_call_id": "call_a", "content": "ra"},
        {"role": "assistant", "content": "x", "tool_calls": [_call("call_a", "h")]},  # id reused later
        {"role": "tool", "tool_call_id": "call_a", "content": "rh"},
    ]
    text = render_k2(messages, None)
    assert "<|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{}" in text
    assert "<|tool_call_begin|>functions.g:1<|tool_call_argument_begin|>{}" in text
    assert "## Return of functions.g:1\nrb" in text
    assert "## Return of functions.f:0\nra" in text
    assert "<|tool_call_begin|>functions.h:0<|tool_call_argument_begin|>" in text
    assert "## Return of functions.h:0\nrh" in text
    assert "|>call_" not in text and "Return of call_" not in text


def test_k2_ids_are_kept_and_a_turn_with_any_bad_or_duplicate_id_is_renumbered() -> None:
    kept = [{"role": "assistant", "tool_calls": [_call("functions.f:7", "f"), _call("functions.g:3", "g")]}]
    assert "functions.f:7" in render_k2(kept) and "functions.g:3" in render_k2(kept)
    wrong_name = [{"role": "assistant", "tool_calls": [_call("functions.g:0", "f")]}]
    assert "functions.f:0" in render_k2(wrong_name)
    duplicate = [
        {"role": "assistant", "tool_calls": [_call("functions.f:0", "f"), _call("functions.f:0", "f")]},
        {"role": "tool", "tool_call_id": "functions.f:0", "content": "r"},
    ]
    text = render_k2(duplicate)
    assert (
        "functions.f:0<|tool_call_argument_begin|>" in text
        and "functions.f:1<|tool_call_argument_begin|>" in text
    )
    assert "## Return of functions.f:1\nr" in text  # the latest call that carried the id
    missing = [{"role": "assistant", "tool_calls": [_call(None, "f")]}, {"role": "tool", "content": "r"}]
    assert "functions.f:0<|tool_call_argument_begin|>" in render_k2(missing)
    assert "## Return of functions.f:0\nr" in render_k2(missing)


def test_arguments_strings_verbatim_objects_as_compact_json_and_text_parts_joined() -> None:
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {
            "role": "assistant",
            "tool_calls": [_call("x", "f", {"q": "é", "n": 1}), _call("y", "g", '{"a":  1}')],
        },
    ]
    text = render_k2(messages)
    assert "<|im_user|>user<|im_middle|>ab<|im_end|>" in text
    assert '<|tool_call_argument_begin|>{"q":"é","n":1}<|tool_call_end|>' in text
    assert '<|tool_call_argument_begin|>{"a":  1}<|tool_call_end|>' in text
    with pytest.raises(ValueError, match="text content parts"):
        render_k2([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}])


def test_spans_cover_each_assistant_body_through_its_end_token() -> None:
    messages = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u"},
        {"role": "assistant", "content": "look", "tool_calls": [_call("c1", "f", json.dumps({"k": 1}))]},
        {"role": "tool", "tool_call_id": "c1", "content": "r"},
        {"role": "assistant", "content": "done"},
    ]
    text, spans = render_k2_with_spans(messages, [WEATHER_TOOL], add_generation_prompt=True)
    assert [text[a:b] for a, b in spans] == [
        "look<|tool_calls_section_begin|><|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>"
        '{"k": 1}<|tool_call_end|><|tool_calls_section_end|><|im_end|>',
        "done<|im_end|>",
    ]
    assert all(text[a - len("<|im_middle|>") : a] == "<|im_middle|>" for a, _ in spans)
    assert text == render_k2(messages, [WEATHER_TOOL], add_generation_prompt=True)
