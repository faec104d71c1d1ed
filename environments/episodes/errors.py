"""Errors of one episode. A tool's own failure is not here: it is an observation (`is_error`)."""

from __future__ import annotations

from toolforge.core.errors import ToolforgeError


class InfraError(ToolforgeError, RuntimeError):
    """The environment failed (server gone, protocol error, model budget spent): the attempt
    ends with `reason` stored on the trajectory."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
