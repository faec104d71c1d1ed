"""A stdio MCP server that prints anything but JSON-RPC on stdout (a banner, a log line) breaks
the protocol; the SDK logs a full traceback per such line and the handshake then times out.
Here those lines are caught per harvest (a context variable: concurrent harvests keep their own)
and the log records dropped, so the server's report says in one line what it printed."""

from __future__ import annotations

import logging
from contextvars import ContextVar

_SDK_LOGGER = "mcp.client.stdio"
_PARSE_FAILED = "Failed to parse JSONRPC message"

_sink: ContextVar[list[str] | None] = ContextVar("mcp_stdout_noise", default=None)


class _CatchNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        sink = _sink.get()
        if sink is None or not record.getMessage().startswith(_PARSE_FAILED):
            return True
        error = record.exc_info[1] if record.exc_info else None
        text = str(error) if error is not None else ""
        sink.append(
            text.split("input_value=", 1)[1].split(", input_type", 1)[0] if "input_value=" in text else text
        )
        return False


_filter = _CatchNoise()


def start_catching() -> list[str]:
    """A fresh list that collects, in this context, the stdout lines the SDK could not parse."""
    logger = logging.getLogger(_SDK_LOGGER)
    if _filter not in logger.filters:
        logger.addFilter(_filter)
    sink: list[str] = []
    _sink.set(sink)
    return sink


def noise_reason(lines: list[str]) -> str:
    first = lines[0][:80]
    return (
        f"printed {len(lines)} line(s) on stdout that are not MCP JSON-RPC (first: {first}); a stdio MCP "
        "server must keep stdout for protocol messages: send its banners and logs to stderr"
    )
