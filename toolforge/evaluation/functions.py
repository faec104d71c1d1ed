"""BFCL function docs as the tools a function-calling model is offered, and its calls mapped back.

As BFCL does for function-calling models: BFCL's types become JSON-Schema types (dict → object,
float → number with a note in the description, tuple → array, any → string), and dots in names
become underscores (`math.factorial` → `math_factorial`, since provider APIs allow only
`[a-zA-Z0-9_-]`); a call to the underscored name is read back as the dotted one.
"""

from __future__ import annotations

import copy
from typing import Any

from toolforge.core.types import ToolSpec

_JSON_TYPE = {
    "dict": "object",
    "object": "object",
    "float": "number",
    "number": "number",
    "integer": "integer",
    "string": "string",
    "boolean": "boolean",
    "array": "array",
    "list": "array",
    "tuple": "array",
    "any": "string",
}


def sent_name(name: str) -> str:
    return name.replace(".", "_")


def _schema(node: dict[str, Any], note_float: bool = True) -> dict[str, Any]:
    """One BFCL parameter node as JSON Schema (recursing into properties and items)."""
    out = copy.deepcopy(node)
    bfcl_type = node.get("type")
    if bfcl_type == "float" and note_float:
        out["description"] = (node.get("description") or "") + " This is a float type value."
    out["type"] = _JSON_TYPE.get(bfcl_type, "string") if isinstance(bfcl_type, str) else "string"
    if isinstance(node.get("properties"), dict):
        out["properties"] = {k: _schema(v) for k, v in node["properties"].items() if isinstance(v, dict)}
    if isinstance(node.get("items"), dict):
        out["items"] = _schema(node["items"], note_float=False)
    return out


def tool_specs(functions: list[dict[str, Any]]) -> list[ToolSpec]:
    """The case's functions as ToolSpecs under their sent (underscored) names."""
    specs = []
    for doc in functions:
        params = doc.get("parameters") or {"properties": {}}
        schema = _schema({**params, "type": "dict"})
        schema.setdefault("properties", {})
        schema["required"] = list(params.get("required", []))
        specs.append(
            ToolSpec(
                name=sent_name(doc["name"]),
                description=doc.get("description", ""),
                input_schema=schema,
                source="catalog",
                origin="bfcl",
            )
        )
    return specs


def original_names(functions: list[dict[str, Any]]) -> dict[str, str]:
    """Sent name → the doc's own name (identity for names without dots)."""
    return {sent_name(doc["name"]): doc["name"] for doc in functions}
