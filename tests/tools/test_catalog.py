"""Catalogs: MCP JSONL and OpenAI function lists, lossless both ways; import is validated and idempotent."""

from __future__ import annotations

import json
from pathlib import Path

from toolforge.core.store import FailureRow, Store
from toolforge.core.types import ToolAnnotations, ToolSemantics, ToolSpec
from toolforge.tools import catalog
from toolforge.tools.library import admit, load_tools


def synthetic() -> ToolSpec:
    return ToolSpec(
        name="book_room",
        description="Book a meeting room.",
        input_schema={
            "type": "object",
            "properties": {"room_id": {"type": "string"}},
            "required": ["room_id"],
        },
        output_schema={"type": "object", "properties": {"booking_id": {"type": "string"}}},
        annotations=ToolAnnotations(read_only=False, destructive=False, idempotent=False),
        source="synthetic",
        origin="workplace/rooms",
        category="workplace",
        domain="rooms",
        semantics=ToolSemantics(effect="create", reads=["room"], writes=["booking"]),
        provenance={"model": "openai/test"},
    )


def test_mcp_jsonl_round_trip_is_lossless(tmp_path: Path, example_tools: list[ToolSpec]) -> None:
    tools = [*example_tools, synthetic()]
    path = tmp_path / "lib.jsonl"
    assert catalog.write_mcp_jsonl(tools, path) == len(tools)
    back = [t for _, t in catalog.read_mcp_jsonl(path)]
    assert back == tools
    again = tmp_path / "again.jsonl"
    catalog.write_mcp_jsonl(back, again)
    assert again.read_bytes() == path.read_bytes()
    line = json.loads(path.read_text().splitlines()[0])
    assert line["tool"] == example_tools[0].raw  # the wire form exactly as the server sent it


def test_foreign_jsonl_lines_import_as_catalog_tools(tmp_path: Path) -> None:
    path = tmp_path / "crawl.jsonl"
    wire = {
        "name": "echo",
        "description": "Echo.",
        "inputSchema": {"type": "object"},
        "execution": {"taskSupport": "forbidden"},
    }
    path.write_text(
        json.dumps({"server": "everything", "server_info": "x 1", "tool": wire}) + "\n"
        + json.dumps({"name": "bare", "description": "Bare tool.", "inputSchema": {"type": "object"}}) + "\n"
        + "not json\n"
    )  # fmt: skip
    items = list(catalog.read_mcp_jsonl(path))
    echo, bare, broken = (x for _, x in items)
    assert isinstance(echo, ToolSpec) and echo.source == "catalog" and echo.origin == "everything"
    assert echo.raw == wire  # unknown keys kept in the raw form
    assert isinstance(bare, ToolSpec) and bare.origin == "crawl"
    assert isinstance(broken, str) and "crawl.jsonl:3" in broken
    out = tmp_path / "out.jsonl"
    catalog.write_mcp_jsonl([echo, bare], out)
    assert [t for _, t in catalog.read_mcp_jsonl(out)] == [echo, bare]


def test_openai_round_trip_keeps_extra_keys(tmp_path: Path) -> None:
    items = [
        {"type": "function", "function": {"name": "get_weather", "description": "Weather.", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}, "strict": True}},
        {"type": "function", "function": {"name": "ping", "description": "Ping.", "parameters": {"type": "object", "properties": {}}}},
    ]  # fmt: skip
    src = tmp_path / "fns.json"
    src.write_text(json.dumps(items))
    tools = [t for _, t in catalog.read_openai(src)]
    assert all(isinstance(t, ToolSpec) for t in tools)
    (tmp_path / "export").mkdir()
    out = tmp_path / "export" / "fns.json"  # same stem: the origin is the file's name
    catalog.write_openai(tools, out)  # type: ignore[arg-type]
    assert json.loads(out.read_text()) == items
    assert [t for _, t in catalog.read_openai(out)] == tools


def test_import_stores_invalid_tools_as_rejected_and_is_idempotent(
    tmp_path: Path, example_tools: list[ToolSpec]
) -> None:
    store = Store(str(tmp_path / "t.db"))
    bad = ToolSpec(
        name="bad tool", description="", input_schema={"type": "array"}, source="catalog", origin="c"
    )
    first = admit(store, [*example_tools[:5], bad])
    assert (
        len(first.added) == 5
        and bad.id in first.rejected
        and "not a legal function name" in first.rejected[bad.id]
    )
    row = store.tool_rows(id=bad.id)[0]
    assert row.status == "rejected" and "description is empty" in row.reason
    second = admit(store, [*example_tools[:5], bad])
    assert not second.added and len(second.unchanged) == 6
    assert len(load_tools(store)) == 5 and len(load_tools(store, status=None)) == 6
    assert store.count(FailureRow) == 0
