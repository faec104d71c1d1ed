"""ToolSpec: one tool as the library holds it — the wire form it came in plus our fields."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import Field

from toolforge.core.ids import content_id, digest
from toolforge.core.schema import PreparedSchema, prepare, resolved
from toolforge.core.types.base import Record

ToolSource = Literal["mcp", "synthetic", "catalog", "python"]


class ToolAnnotations(Record):
    """MCP's behaviour hints (readOnlyHint, destructiveHint, idempotentHint, openWorldHint)."""

    title: str | None = None
    read_only: bool | None = None
    destructive: bool | None = None
    idempotent: bool | None = None
    open_world: bool | None = None


class ToolSemantics(Record):
    """What a synthetic tool does to the world: the entity kinds it reads and writes."""

    effect: Literal["read", "create", "update", "delete", "action"] = "read"
    reads: list[str] = Field(default_factory=list)
    writes: list[str] = Field(default_factory=list)
    notes: str = ""


class ToolSpec(Record):
    name: str
    title: str | None = None
    description: str = ""
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None = None
    annotations: ToolAnnotations = Field(default_factory=ToolAnnotations)
    source: ToolSource
    # Where it came from: an MCP server id, a catalog file, or "category/domain" for synthetic tools.
    origin: str = ""
    category: str | None = None
    domain: str | None = None
    semantics: ToolSemantics | None = None
    # The object exactly as the MCP server (or catalog) sent it, for lossless export.
    raw: dict[str, Any] | None = None
    provenance: dict[str, Any] = Field(default_factory=dict)

    # The schema service's prepared forms, built on first use and kept by the tool that owns them
    # (executors, simulators and judges ask for them on every call). Not part of the record: they
    # are dropped when the tool is copied or pickled (see `__getstate__`), and rebuilt there.
    @cached_property
    def input_prepared(self) -> PreparedSchema:
        """The input schema, prepared (raises SchemaRejected for one that cannot be used)."""
        return prepare(self.input_schema)

    @cached_property
    def output_prepared(self) -> PreparedSchema | None:
        """The output schema, prepared; None when the tool declares none."""
        return None if self.output_schema is None else prepare(self.output_schema)

    @cached_property
    def input_resolved(self) -> Any:
        """The input schema with references inlined, for generators and walkers."""
        return resolved(self.input_schema)

    @cached_property
    def output_resolved(self) -> Any:
        """The output schema with references inlined; None when the tool declares none."""
        return None if self.output_schema is None else resolved(self.output_schema)

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        state["__dict__"] = _fields_only(state["__dict__"])
        return state

    def __copy__(self) -> ToolSpec:
        copied = super().__copy__()
        object.__setattr__(copied, "__dict__", _fields_only(dict(copied.__dict__)))
        return copied

    @property
    def fingerprint(self) -> str:
        """Hash of the canonical interface: equal name and schemas give an equal fingerprint."""
        return digest({"name": self.name, "input": self.input_schema, "output": self.output_schema})

    @property
    def id(self) -> str:
        """Source, origin and name; plus the variant when a second tool of that name was kept
        apart at import (`provenance["variant"]`, set only then, so every other id is unchanged)."""
        variant = self.provenance.get("variant")
        if variant:
            return content_id("tool", self.source, self.origin, self.name, variant)
        return content_id("tool", self.source, self.origin, self.name)

    def openai_function(self) -> dict[str, Any]:
        """The OpenAI function-calling form: {"type": "function", "function": {...}}."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.input_schema,
            },
        }


_DERIVED = ("input_prepared", "output_prepared", "input_resolved", "output_resolved")


def _fields_only(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in _DERIVED}
