"""Tool calls read from raw model text: K2 sections, <tool_call> tags, bare JSON, and prose."""

from __future__ import annotations

from toolforge.core.k2_chat import render_k2
from toolforge.evaluation.parse import parse_eval_output


def test_tool_call_tags_give_one_call_each() -> None:
    text = (
        'Let me look.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
        '<tool_call>{"name": "get_weather", "arguments": "{\\"city\\": \\"Rome\\"}"}</tool_call>'
    )
    parsed = parse_eval_output(text)
    assert parsed.format == "tags" and parsed.error is None
    assert parsed.calls == [("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Rome"})]


def test_an_unclosed_last_tag_is_still_read() -> None:
    parsed = parse_eval_output('<tool_call>{"name": "f", "parameters": {"x": 1}}')
    assert parsed.calls == [("f", {"x": 1})]


def test_broken_json_in_a_tag_is_an_error_with_the_reason() -> None:
    parsed = parse_eval_output('<tool_call>{"name": "f", "arguments": {"x": </tool_call>')
    assert parsed.calls == [] and parsed.format == "unreadable"
    assert "<tool_call> 0 is not valid JSON" in (parsed.error or "")


def test_k2_sections_as_the_k2_template_renders_them() -> None:
    messages = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "functions.math_factorial:0",
                    "type": "function",
                    "function": {"name": "math_factorial", "arguments": '{"number": 5}'},
                },
                {
                    "id": "functions.stock_price:1",
                    "type": "function",
                    "function": {"name": "stock_price", "arguments": '{"ticker": "ACME"}'},
                },
            ],
        },
    ]
    rendered = render_k2(messages)
    body = rendered[
        rendered.index("<|im_assistant|>assistant<|im_middle|>")
        + len("<|im_assistant|>assistant<|im_middle|>") :
    ]
    parsed = parse_eval_output(body)
    assert parsed.format == "k2"
    assert parsed.calls == [("math_factorial", {"number": 5}), ("stock_price", {"ticker": "ACME"})]


def test_a_k2_section_without_a_complete_call_is_an_error() -> None:
    parsed = parse_eval_output("<|tool_calls_section_begin|><|tool_call_begin|>functions.f:0")
    assert parsed.calls == [] and "without a complete call" in (parsed.error or "")


def test_bare_json_forms() -> None:
    assert parse_eval_output('{"name": "f", "arguments": {"a": 1}}').calls == [("f", {"a": 1})]
    assert parse_eval_output('```json\n[{"name": "f", "arguments": {}}, {"name": "g"}]\n```').calls == [
        ("f", {}),
        ("g", {}),
    ]
    assert parse_eval_output('{"tool_calls": [{"name": "f", "arguments": {"a": 2}}]}').calls == [
        ("f", {"a": 2})
    ]
    assert parse_eval_output('{"reply": "No tool fits."}').calls == []


def test_prose_is_no_call_and_no_error() -> None:
    parsed = parse_eval_output("Hamlet was written by Shakespeare. [citation]")
    assert parsed.calls == [] and parsed.error is None and parsed.format == "text"
