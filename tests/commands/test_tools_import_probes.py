"""`toolforge tools import` against hostile and careless catalogs: each bad item is reported with its
line and reason, the rest imports, nothing is lost, and the printed counts equal the rows stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.store import FailureRow, Store

runner = CliRunner()


def tool(
    name: str, schema: dict[str, Any] | None = None, description: str = "Does a thing."
) -> dict[str, Any]:
    return {"name": name, "description": description, "inputSchema": schema or {"type": "object"}}


def nested(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def line(value: Any) -> bytes:
    return json.dumps({"server": "probe", "tool": value}).encode() + b"\n"


def import_file(tmp_path: Path, content: bytes, exit_code: int = 0) -> tuple[str, Store]:
    path = tmp_path / "probe.jsonl"
    path.write_bytes(content)
    db = str(tmp_path / "t.db")
    result = runner.invoke(app, ["tools", "import", str(path), "--db", db])
    assert result.exit_code == exit_code and "Traceback" not in result.output, result.output
    return " ".join(result.output.split()), Store(db)


def reason_of(store: Store, name: str) -> str:
    rows = store.tool_rows(name=name)
    assert len(rows) == 1, name
    return rows[0].status + ": " + (rows[0].reason or "")


def test_bad_schemas_are_rejected_by_name_and_pointer_and_the_rest_imports(tmp_path: Path) -> None:
    cycle = {"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}},
             "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}}  # fmt: skip
    dangling = {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}
    remote = {"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}}
    dialect = {"$schema": "https://example.com/my-dialect", "type": "object"}
    content = b"".join(
        [
            line(tool("good_one")),
            line(tool("cyclic", cycle)),
            line(tool("dangling", dangling)),
            line(tool("remote", remote)),
            line(tool("deep", nested(40))),  # 80 levels: readable, deeper than a schema may be
            line(tool("odd_dialect", dialect)),
            b'{"server": "probe", "tool": {"name": "caf\xe9", "inputSchema": {}}}\n',  # Latin-1, not UTF-8
            b"[" * 3000 + b"]" * 3000 + b"\n",
            line(tool("deeper", nested(400))),
            line(tool("big", description="x" * 1_000_000)),
            line(tool("good_two")),
        ]
    )
    out, store = import_file(tmp_path, content, exit_code=1)  # 9 of 11 failed: over the 0.5 default
    assert "stage tools.import: 9 of 11 failed (82% > max_failure_rate 50%)" in out
    assert "2 added" in out and "6 rejected" in out and "3 unparsable" in out and "(8 rows written)" in out
    assert len(store.tool_rows()) == 8 and {r.name for r in store.tool_rows(status="ok")} == {
        "good_one",
        "good_two",
    }
    assert "$ref cycle #/$defs/a -> #/$defs/b -> #/$defs/a" in reason_of(store, "cyclic")
    assert "'#/$defs/missing' at #/properties/a points to nothing" in reason_of(store, "dangling")
    assert "'https://example.com/a.json' at #/properties/a is remote" in reason_of(store, "remote")
    assert "nests deeper than 64 levels" in reason_of(store, "deep")
    assert "names no supported dialect" in reason_of(store, "odd_dialect")
    assert "cyclic" in out and "#/$defs/a" in out  # the console names the tool and the pointer
    assert "probe.jsonl:7: not UTF-8" in out and "probe.jsonl:8: nested too deep" in out
    assert "probe.jsonl:9: nested deeper than 96 levels" in out
    failures = sorted(f.reason for f in store.rows(FailureRow))
    assert len(failures) == 3 and failures[0].startswith("probe.jsonl:7: not UTF-8 (byte")
    big = store.tool_rows(name="big")[0]
    assert big.status == "rejected" and "1000000 characters (limit 8192)" in (big.reason or "")
    assert len(json.dumps(big.data)) < 5_000  # an excerpt, the length and a digest; not the megabyte
    assert big.data["provenance"]["description_cut"]["length"] == 1_000_000


def test_same_name_different_schema_is_kept_apart_as_a_conflict(tmp_path: Path) -> None:
    first = tool("lookup", {"type": "object", "properties": {"id": {"type": "string"}}})
    second = tool("lookup", {"type": "object", "properties": {"id": {"type": "integer"}}})
    content = line(first) + line(second) + line(first) + line(tool("math.factorial"))
    out, store = import_file(tmp_path, content)
    assert "2 added" in out and "1 conflicts" in out and "1 repeated" in out and "(3 rows written)" in out
    rows = store.tool_rows(name="lookup")
    assert sorted(r.status for r in rows) == ["conflict", "ok"]
    conflict = next(r for r in rows if r.status == "conflict")
    ok = next(r for r in rows if r.status == "ok")
    assert ok.id in (conflict.reason or "") and conflict.data["input_schema"] == second["inputSchema"]
    assert ok.data["input_schema"] == first["inputSchema"]
    assert store.tool_rows(name="math.factorial")[0].status == "ok"  # legal in MCP
    again, _ = import_file(tmp_path, content)  # idempotent, conflict included
    assert "0 added" in again and "3 unchanged" in again and "(0 rows written)" in again
