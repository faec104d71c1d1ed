"""The schema simulator: deterministic and stateful, no model.

Entities live in the state as `{collection: {id: record}}` and every call obeys the store's CRUD
rules (`environments.episodes.executors.world`): a create stores its arguments under a new id
(`order_0001`), a read finds by id (an unknown id is a tool error that says how to find one), a
list filters the stored records, an update changes what it sets, a delete removes, an action is
logged. Outputs conform to the tool's output schema (`environments.episodes.executors.fit`): the stored
fields where the schema has a place for them, values of the fields' meaning elsewhere, seeded by
the record they belong to, so re-reads agree.

It is the replay reference for blueprints: `run` is synchronous and needs nothing but the state.
"""

from __future__ import annotations

from typing import Any

from environments.episodes.executors.base import CallContext, ToolResult
from environments.episodes.executors.fit import fit_output
from environments.episodes.executors.world import play
from environments.episodes.state import State
from toolforge.core.types import ToolSpec

__all__ = ["SchemaSimulator", "fit_output"]


class SchemaSimulator:
    kind = "schema"

    async def execute(self, tool: ToolSpec, arguments: dict[str, Any], ctx: CallContext) -> ToolResult:
        return self.run(tool, arguments, ctx.state)

    def run(self, tool: ToolSpec, arguments: dict[str, Any], state: State) -> ToolResult:
        return play(tool, arguments, state)
