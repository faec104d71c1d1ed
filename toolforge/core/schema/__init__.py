"""The JSON-Schema service: one place that reads dialects, resolves references, bounds size and
validates, for import, execution, simulation, the tool graph and the judges alike."""

from toolforge.core.schema.dialect import DEFAULT_DIALECT, UnknownDialect, validator_class
from toolforge.core.schema.limits import MAX_JSON_DEPTH, MAX_SCHEMA_DEPTH, MAX_SCHEMA_NODES, too_deep
from toolforge.core.schema.prepared import PreparedSchema, SchemaRejected, prepare, resolved, schema_problems

__all__ = [
    "DEFAULT_DIALECT",
    "MAX_JSON_DEPTH",
    "MAX_SCHEMA_DEPTH",
    "MAX_SCHEMA_NODES",
    "PreparedSchema",
    "SchemaRejected",
    "UnknownDialect",
    "prepare",
    "resolved",
    "schema_problems",
    "too_deep",
    "validator_class",
]
