"""Tool executors behind one interface (`Executor.execute`), chosen per tool by `choose`."""

from environments.episodes.executors.base import CallContext, CallRecord, Executor, ToolResult
from environments.episodes.executors.schema_sim import SchemaSimulator
from environments.episodes.executors.validate import validate_arguments

__all__ = [
    "CallContext",
    "CallRecord",
    "Executor",
    "SchemaSimulator",
    "ToolResult",
    "validate_arguments",
]
