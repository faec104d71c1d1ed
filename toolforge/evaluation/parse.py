"""Tool calls read back from a model's raw text, as BFCL scores them.

The formats (K2 sections, `<tool_call>` tags, bare JSON) are read by the one parser in
`toolforge.core.llm.tool_tags`; an output with any call that is there but unreadable counts as no
call here, with the reason (as BFCL counts an output it cannot decode).
"""

from __future__ import annotations

from dataclasses import replace

from toolforge.core.llm.tool_tags import ParsedOutput, parse_tool_calls

__all__ = ["ParsedOutput", "parse_eval_output"]


def parse_eval_output(text: str) -> ParsedOutput:
    """The calls in `text` as (name, arguments); never raises: an unreadable call is `error`."""
    parsed = parse_tool_calls(text)
    if parsed.error:
        return replace(parsed, calls=[], format="unreadable")
    return parsed
