"""Catalog files: JSONL of MCP Tool objects and OpenAI function lists, both ways, lossless.

MCP JSONL, one tool per line (the format of `reference/mcp.md` §7, plus our fields)::

    {"server": "git", "server_info": "mcp-git 2026.10.19", "source": "pypi:…", "protocol": "2025-11-25",
     "tool": {<the wire form exactly as sent>},
     "toolforge": {"source": "mcp", "origin": "git", "category": null, "domain": null,
                   "semantics": null, "provenance": {…}, "raw": true}}

Lines written by others may be bare Tool objects or ``{"tool": …}`` envelopes; they import with
source "catalog" and origin = the line's ``server`` (else the file's stem). Exporting what was
imported gives the same lines back; importing what was exported gives equal ToolSpecs.

OpenAI: a JSON list of ``{"type": "function", "function": {name, description, parameters, …}}``
(bare ``{name, description, parameters}`` items are accepted too). Keys beyond those three (such
as ``strict``) are kept in provenance and written back on export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from toolforge.core.errors import ConfigError
from toolforge.core.schema import MAX_JSON_DEPTH, too_deep
from toolforge.core.types import ToolSemantics, ToolSpec
from toolforge.tools.convert import from_wire, to_wire

OPENAI_KEYS = ("name", "description", "parameters")


# ---- MCP JSONL --------------------------------------------------------------------------------


def to_mcp_line(tool: ToolSpec) -> dict[str, Any]:
    prov = tool.provenance
    return {
        "server": tool.origin,
        "server_info": prov.get("server_info", ""),
        "source": prov.get("source", ""),
        "protocol": prov.get("protocol", ""),
        "tool": to_wire(tool),
        "toolforge": {
            "source": tool.source,
            "origin": tool.origin,
            "category": tool.category,
            "domain": tool.domain,
            "semantics": tool.semantics.model_dump(mode="json") if tool.semantics else None,
            "provenance": tool.provenance,
            "raw": tool.raw is not None,
        },
    }


def from_mcp_line(line: dict[str, Any], default_origin: str) -> ToolSpec:
    wire = line.get("tool", line)
    if not isinstance(wire, dict):
        raise ValueError(f"'tool' must be an object, got {type(wire).__name__}")
    ours = line.get("toolforge")
    if not isinstance(ours, dict):
        origin = (
            line.get("server")
            if isinstance(line.get("server"), str) and line.get("server")
            else default_origin
        )
        provenance = {k: line[k] for k in ("server", "server_info", "source", "protocol") if line.get(k)}
        return from_wire(wire, source="catalog", origin=str(origin), provenance=provenance)
    tool = from_wire(
        wire, source=ours["source"], origin=ours["origin"], provenance=ours.get("provenance") or {}
    )
    semantics = ToolSemantics.model_validate(ours["semantics"]) if ours.get("semantics") else None
    return tool.model_copy(
        update={
            "category": ours.get("category"),
            "domain": ours.get("domain"),
            "semantics": semantics,
            "raw": wire if ours.get("raw", True) else None,
        }
    )


def read_mcp_jsonl(path: Path) -> Iterator[tuple[int, ToolSpec | str]]:
    """(line number, ToolSpec or the reason the line is not a tool) for each non-empty line.

    Each line stands alone: one that is not UTF-8, not JSON, nested too deep or not a tool is
    reported with its number and the rest of the file is read."""
    with path.open("rb") as fh:
        for number, data in enumerate(fh, start=1):
            if not data.strip():
                continue
            try:
                yield number, from_mcp_line(parse_line(data), path.stem)
            except (ValueError, KeyError, TypeError) as exc:  # one bad line is reported, not fatal
                yield number, f"{path.name}:{number}: {str(exc)[:500]}"


def parse_line(data: bytes) -> dict[str, Any]:
    """One JSONL line as an object; ValueError (naming the fix) for anything else."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 4]!r}); re-encode the file as UTF-8"
        ) from exc
    try:
        line = json.loads(text)
    except RecursionError as exc:
        raise ValueError(f"nested too deep to read (limit {MAX_JSON_DEPTH} levels)") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(line, dict):
        raise ValueError(f"expected a JSON object, got {type(line).__name__}")
    if too_deep(line, MAX_JSON_DEPTH):
        raise ValueError(
            f"nested deeper than {MAX_JSON_DEPTH} levels (limit {MAX_JSON_DEPTH}); flatten the tool"
        )
    return line


def write_mcp_jsonl(tools: Iterable[ToolSpec], path: Path) -> int:
    count = 0
    with path.open("w") as fh:
        for tool in tools:
            fh.write(json.dumps(to_mcp_line(tool), ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


# ---- OpenAI function lists --------------------------------------------------------------------


def to_openai(tool: ToolSpec) -> dict[str, Any]:
    item = tool.openai_function()
    item["function"].update(tool.provenance.get("openai_extra", {}))
    return item


def from_openai(item: dict[str, Any], origin: str) -> ToolSpec:
    fn = (
        item["function"]
        if item.get("type") == "function" and isinstance(item.get("function"), dict)
        else item
    )
    name = fn.get("name")
    if not isinstance(name, str):
        raise ValueError(f"a function needs a string 'name', got {name!r}")
    params = fn.get("parameters", {"type": "object", "properties": {}})
    if not isinstance(params, dict):
        raise ValueError(f"function {name!r}: 'parameters' must be a JSON object")
    extra = {k: v for k, v in fn.items() if k not in OPENAI_KEYS}
    provenance: dict[str, Any] = {"format": "openai"}
    if extra:
        provenance["openai_extra"] = extra
    description = fn.get("description")
    return ToolSpec(
        name=name,
        description=description if isinstance(description, str) else "",
        input_schema=params,
        source="catalog",
        origin=origin,
        provenance=provenance,
    )


def read_openai(path: Path) -> Iterator[tuple[int, ToolSpec | str]]:
    """(index, ToolSpec or the reason the item is not a tool) for each function of the list."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 (byte {exc.start}); re-encode it as UTF-8") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path} is nested too deep to read; flatten its schemas") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not JSON: {exc}") from exc
    items = data.get("tools", data.get("functions")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigError(f"{path}: expected a JSON list of OpenAI functions (or {{'tools': [...]}})")
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise ValueError(f"expected an object, got {type(item).__name__}")
            if too_deep(item, MAX_JSON_DEPTH):
                raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels; flatten the tool")
            yield index, from_openai(item, path.stem)
        except ValueError as exc:
            yield index, f"{path.name}[{index}]: {str(exc)[:500]}"


def write_openai(tools: Iterable[ToolSpec], path: Path) -> int:
    items = [to_openai(t) for t in tools]
    path.write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n")
    return len(items)


def detect_format(path: Path) -> str:
    """ "mcp" for .jsonl files, "openai" for .json files; anything else is an error naming the fix."""
    if path.suffix == ".jsonl":
        return "mcp"
    if path.suffix == ".json":
        return "openai"
    raise ConfigError(
        f"cannot tell the format of {path.name}; use .jsonl (MCP) or .json (OpenAI), or --format"
    )
