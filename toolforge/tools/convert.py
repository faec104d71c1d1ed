"""ToolSpec ↔ the MCP wire form of a Tool (`inputSchema`, `annotations.readOnlyHint`, …).

`from_wire` keeps the object exactly as sent in `ToolSpec.raw`; `to_wire` gives it back unchanged
when present, so a harvested tool exports byte-for-byte as its server sent it.
"""

from __future__ import annotations

from typing import Any

from toolforge.core.types import ToolAnnotations, ToolSource, ToolSpec

# MCP annotation hint names ↔ our field names.
HINTS = {
    "readOnlyHint": "read_only",
    "destructiveHint": "destructive",
    "idempotentHint": "idempotent",
    "openWorldHint": "open_world",
}


def annotations_from_wire(value: Any) -> ToolAnnotations:
    if not isinstance(value, dict):
        return ToolAnnotations()
    fields: dict[str, Any] = {
        ours: value[hint] for hint, ours in HINTS.items() if isinstance(value.get(hint), bool)
    }
    if isinstance(value.get("title"), str):
        fields["title"] = value["title"]
    return ToolAnnotations(**fields)


def annotations_to_wire(annotations: ToolAnnotations) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if annotations.title is not None:
        out["title"] = annotations.title
    for hint, ours in HINTS.items():
        value = getattr(annotations, ours)
        if value is not None:
            out[hint] = value
    return out


def from_wire(
    wire: dict[str, Any],
    *,
    source: ToolSource,
    origin: str,
    provenance: dict[str, Any] | None = None,
) -> ToolSpec:
    """A ToolSpec from an MCP Tool in wire form; `raw` keeps the dict as given.

    Raises ValueError when the object is not a tool at all (no string name, no object schema);
    schema *validity* is `validate.py`'s job."""
    name = wire.get("name")
    if not isinstance(name, str):
        raise ValueError(f"a tool needs a string 'name', got {name!r}")
    schema = wire.get("inputSchema", wire.get("input_schema"))
    if not isinstance(schema, dict):
        raise ValueError(f"tool {name!r}: 'inputSchema' must be a JSON object, got {type(schema).__name__}")
    output = wire.get("outputSchema", wire.get("output_schema"))
    description = wire.get("description")
    title = wire.get("title")
    return ToolSpec(
        name=name,
        title=title if isinstance(title, str) else None,
        description=description if isinstance(description, str) else "",
        input_schema=schema,
        output_schema=output if isinstance(output, dict) else None,
        annotations=annotations_from_wire(wire.get("annotations")),
        source=source,
        origin=origin,
        raw=wire,
        provenance=provenance or {},
    )


def to_wire(tool: ToolSpec) -> dict[str, Any]:
    """The MCP wire form: the original object if the tool came from one, else built from fields."""
    if tool.raw is not None:
        return tool.raw
    out: dict[str, Any] = {"name": tool.name}
    if tool.title is not None:
        out["title"] = tool.title
    out["description"] = tool.description
    out["inputSchema"] = tool.input_schema
    if tool.output_schema is not None:
        out["outputSchema"] = tool.output_schema
    annotations = annotations_to_wire(tool.annotations)
    if annotations:
        out["annotations"] = annotations
    return out
