"""One record in each export format."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from toolforge.core.k2_chat import render_k2
from toolforge.core.types import Message
from toolforge.export.records import ExportRecord


def openai_messages(messages: list[Message]) -> list[dict[str, Any]]:
    return [m.openai() for m in messages]


def openai_line(record: ExportRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "messages": openai_messages(record.trajectory.messages),
        "tools": record.trajectory.tools,
        "metadata": record.metadata(),
    }


def k2_line(record: ExportRecord) -> dict[str, Any]:
    text = render_k2(openai_messages(record.trajectory.messages), record.trajectory.tools or None)
    return {"id": record.id, "text": text}


def sharegpt_line(record: ExportRecord) -> tuple[dict[str, Any], int]:
    """LLaMA-Factory ShareGPT: human / gpt / function_call / observation turns.

    A function_call turn holds `{"name", "arguments"}` (a list of them for parallel calls); the
    results of one turn's calls become one observation (a JSON list when there are several).
    Returns the line and how many assistant texts that accompanied tool calls were left out
    (the format has no place for them).
    """
    messages = record.trajectory.messages
    system = (messages[0].content or "") if messages and messages[0].role == "system" else ""
    rest = messages[1:] if messages and messages[0].role == "system" else messages
    turns: list[dict[str, str]] = []
    pending: list[str] = []
    dropped = 0

    def flush() -> None:
        if pending:
            value = pending[0] if len(pending) == 1 else json.dumps(pending, ensure_ascii=False)
            turns.append({"from": "observation", "value": value})
            pending.clear()

    for message in rest:
        if message.role == "tool":
            pending.append(message.content or "")
            continue
        flush()
        if message.role == "assistant" and message.tool_calls:
            calls = [
                {"name": c.name, "arguments": _arguments(c.function.arguments)} for c in message.tool_calls
            ]
            value = calls[0] if len(calls) == 1 else calls
            turns.append({"from": "function_call", "value": json.dumps(value, ensure_ascii=False)})
            dropped += bool(message.content and message.content.strip())
        elif message.role == "assistant":
            turns.append({"from": "gpt", "value": message.content or ""})
        elif message.role == "user":
            turns.append({"from": "human", "value": message.content or ""})
        else:  # a system message mid-conversation: the format has one system prompt
            system = f"{system}\n\n{message.content or ''}".strip()
    flush()
    tools = [t.get("function", t) for t in record.trajectory.tools]
    line = {
        "id": record.id,
        "conversations": turns,
        "system": system,
        "tools": json.dumps(tools, ensure_ascii=False),
    }
    return line, dropped


def _arguments(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError:
        return text


_FUNCTION = pa.struct([("name", pa.string()), ("arguments", pa.string())])
_CALL = pa.struct([("id", pa.string()), ("type", pa.string()), ("function", _FUNCTION)])
_MESSAGE = pa.struct(
    [
        ("role", pa.string()),
        ("content", pa.string()),
        ("tool_calls", pa.list_(_CALL)),
        ("tool_call_id", pa.string()),
        ("name", pa.string()),
    ]
)
PARQUET_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("messages", pa.list_(_MESSAGE)),
        ("tools", pa.string()),  # JSON text: tool schemas differ too much for one Arrow type
        ("task_id", pa.string()),
        ("agent_id", pa.string()),
        ("attempt", pa.int32()),
        ("domain", pa.string()),
        ("difficulty", pa.string()),
        ("task_source", pa.string()),
        ("tool_sources", pa.list_(pa.string())),
        ("end_reason", pa.string()),
        ("accepted", pa.bool_()),
        ("score", pa.float64()),
        ("num_tool_calls", pa.int32()),
        ("metadata", pa.string()),  # the full metadata object as JSON text
    ]
)


def parquet_row(record: ExportRecord) -> dict[str, Any]:
    meta = record.metadata()
    messages = [
        {
            "role": m.role,
            "content": m.content,
            "tool_calls": [c.model_dump() for c in m.tool_calls] if m.tool_calls else None,
            "tool_call_id": m.tool_call_id,
            "name": m.name,
        }
        for m in record.trajectory.messages
    ]
    return {
        "id": record.id,
        "messages": messages,
        "tools": json.dumps(record.trajectory.tools, ensure_ascii=False),
        "task_id": meta["task_id"],
        "agent_id": meta["agent_id"],
        "attempt": meta["attempt"],
        "domain": meta["domain"],
        "difficulty": meta["difficulty"],
        "task_source": meta["task_source"],
        "tool_sources": meta["tool_sources"],
        "end_reason": meta["end_reason"],
        "accepted": record.accepted,
        "score": record.score,
        "num_tool_calls": len(record.trajectory.tool_calls),
        "metadata": json.dumps(meta, ensure_ascii=False, sort_keys=True),
    }


def parquet_table(records: list[ExportRecord]) -> pa.Table:
    return pa.Table.from_pylist([parquet_row(r) for r in records], schema=PARQUET_SCHEMA)


# The ShareGPT and K2 lines as Parquet too: one dataset folder's configs must share one file
# format, since `datasets` picks the reader of every config from the first config's files.
SHAREGPT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("conversations", pa.list_(pa.struct([("from", pa.string()), ("value", pa.string())]))),
        ("system", pa.string()),
        ("tools", pa.string()),
    ]
)
K2_SCHEMA = pa.schema([("id", pa.string()), ("text", pa.string())])


def lines_table(lines: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(lines, schema=schema)
