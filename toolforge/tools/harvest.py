"""Harvest tools from real MCP servers (stdio commands and streamable-HTTP URLs) into the store.

Per server: connect with `mcp.Client` (``mode="legacy"``: the plain initialize handshake every
server speaks) under a start timeout, page through ``tools/list`` under a list timeout, and keep
each tool object exactly as the server sent it (the raw JSON of the result, before any model
drops a field) with provenance: server name, serverInfo, negotiated protocol, transport, command
or URL, time. Each tool is validated (`validate.py`): invalid ones are stored as "rejected" with
the reason. A server that fails (crash on start, hang, a tools/list result that breaks the
protocol) gives one `ServerReport` with the error — and the stderr tail for a stdio server — and
the others still load.

Re-harvesting is idempotent: a tool whose wire form is unchanged is not rewritten; a changed one
is rewritten with ``provenance.revision`` incremented and ``provenance.previous`` naming the old
fingerprint; tools the server no longer lists are reported as removed (their rows stay).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ListToolsRequest, PaginatedRequestParams
from pydantic import TypeAdapter, ValidationError

from toolforge.core.ids import digest
from toolforge.core.store import Store
from toolforge.core.types import ToolSpec
from toolforge.tools.convert import from_wire
from toolforge.tools.library import separate_conflicts
from toolforge.tools.servers import ServerConfig
from toolforge.tools.stdout_noise import noise_reason, start_catching
from toolforge.tools.stored_form import stored_form
from toolforge.tools.validate import MAX_DESCRIPTION, rejection

START_TIMEOUT_S = 30.0
LIST_TIMEOUT_S = 30.0
MAX_PAGES = 1000
_RAW = TypeAdapter(dict[str, Any])


class HarvestError(RuntimeError):
    """A server could not be harvested; the message is the per-server reason."""


@dataclass
class ServerReport:
    server: str
    ok: bool
    error: str | None = None
    server_info: str = ""
    protocol: str = ""
    pages: int = 0
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def tools(self) -> int:
        return len(self.new) + len(self.changed) + len(self.unchanged)


@dataclass
class Listing:
    tools: list[dict[str, Any]]
    server_info: str
    protocol: str
    pages: int


def _target(cfg: ServerConfig, errlog: Any) -> Any:
    if cfg.url is not None:
        if cfg.headers:
            return streamable_http_client(cfg.url, http_client=httpx2.AsyncClient(headers=cfg.headers))
        return cfg.url
    assert cfg.command is not None
    command = sys.executable if cfg.command in ("python", "python3") else cfg.command
    params = StdioServerParameters(command=command, args=cfg.args, env=cfg.env or None, cwd=cfg.cwd)
    return stdio_client(params, errlog=errlog)


async def list_server_tools(
    cfg: ServerConfig, start_timeout_s: float = START_TIMEOUT_S, list_timeout_s: float = LIST_TIMEOUT_S
) -> Listing:
    """Every tool of one server as raw wire dicts; raises HarvestError with a clear reason."""
    start_t = cfg.start_timeout_s or start_timeout_s
    list_t = cfg.list_timeout_s or list_timeout_s
    with tempfile.TemporaryFile("w+") as errlog:

        def stderr_tail() -> str:
            errlog.flush()
            errlog.seek(0)
            lines = [line.rstrip() for line in errlog.read().splitlines() if line.strip()]
            return (" | stderr: " + " / ".join(lines[-5:])[-600:]) if lines else ""

        noise = start_catching()
        client = Client(_target(cfg, errlog), mode="legacy", read_timeout_seconds=list_t)
        phase = "start"
        try:
            async with asyncio.timeout(start_t):
                await client.__aenter__()
        except TimeoutError as exc:
            await _close(client)
            if noise:
                raise HarvestError(noise_reason(noise)) from None
            raise HarvestError(
                f"did not finish the MCP handshake within {start_t:g}s (hangs?){stderr_tail()}"
            ) from exc
        except (MCPError, OSError, ValidationError, ExceptionGroup, RuntimeError) as exc:
            await _close(client)
            if noise:
                raise HarvestError(noise_reason(noise)) from None
            raise HarvestError(f"failed to start: {_reason(exc)}{stderr_tail()}") from exc
        try:
            phase = "list"
            info = client.server_info
            tools: list[dict[str, Any]] = []
            cursor: str | None = None
            pages = 0
            async with asyncio.timeout(list_t):
                while True:
                    request = ListToolsRequest(params=PaginatedRequestParams(cursor=cursor))
                    # the raw page keeps what ListToolsResult would drop; mcp types the result as a
                    # BaseModel, and a TypeAdapter of a dict works the same at run time
                    page = await client.session.send_request(request, _RAW)  # pyright: ignore[reportArgumentType]
                    pages += 1
                    listed = page.get("tools", [])
                    tools += listed
                    cursor = page.get("nextCursor")
                    if cursor is None:
                        break
                    if pages >= MAX_PAGES:
                        raise HarvestError(f"more than {MAX_PAGES} pages of tools; the cursor never ends")
            return Listing(
                tools=tools,
                server_info=f"{info.name} {info.version}".strip() if info is not None else "",
                protocol=client.protocol_version,
                pages=pages,
            )
        except TimeoutError as exc:
            if noise:
                raise HarvestError(noise_reason(noise)) from None
            raise HarvestError(f"tools/list did not complete within {list_t:g}s{stderr_tail()}") from exc
        except ValidationError as exc:
            raise HarvestError(f"sent an invalid tools/list result: {_reason(exc)}") from exc
        except (MCPError, OSError, ExceptionGroup, RuntimeError) as exc:
            raise HarvestError(f"failed during {phase}: {_reason(exc)}{stderr_tail()}") from exc
        finally:
            await _close(client)


async def _close(client: Client) -> None:
    try:
        async with asyncio.timeout(10):
            await client.__aexit__(None, None, None)
    except (TimeoutError, MCPError, OSError, ExceptionGroup, RuntimeError):
        pass  # the server is already gone or broken; its error has been reported


def _reason(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_reason(e) for e in exc.exceptions)
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"{where}: {first['msg']}{more}"[:600]
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:600]


def tools_from_listing(cfg: ServerConfig, listing: Listing, harvested_at: str) -> list[ToolSpec]:
    """ToolSpecs with provenance; a listed object that is not a tool at all raises HarvestError."""
    out: list[ToolSpec] = []
    for wire in listing.tools:
        provenance = {
            "server": cfg.name,
            "server_info": listing.server_info,
            "protocol": listing.protocol,
            "transport": cfg.kind,
            "target": cfg.describe(),
            "source": cfg.source,
            "harvested_at": harvested_at,
            "wire_hash": digest(wire),
            "revision": 1,
        }
        try:
            out.append(from_wire(wire, source="mcp", origin=cfg.name, provenance=provenance))
        except ValueError as exc:
            raise HarvestError(f"sent an invalid tool: {exc}") from exc
    return out


def store_server_tools(
    store: Store, cfg: ServerConfig, tools: list[ToolSpec], max_description: int = MAX_DESCRIPTION
) -> ServerReport:
    """Upsert one server's tools, comparing with what the store holds; returns the report."""
    report = ServerReport(server=cfg.name, ok=True)
    existing = {row.id: row for row in store.tool_rows(source="mcp", origin=cfg.name)}
    seen: set[str] = set()
    for original, conflict in separate_conflicts(tools):
        tool = stored_form(original, max_description)
        seen.add(tool.id)
        reason = "; ".join(r for r in (conflict, rejection(original, max_description)) if r) or None
        status = "conflict" if conflict else "rejected" if reason else "ok"
        if reason:
            report.rejected[tool.name if not conflict else f"{tool.name} ({tool.id})"] = reason
        old = existing.get(tool.id)
        if old is not None:
            old_prov = old.data.get("provenance", {})
            if old_prov.get("wire_hash") == tool.provenance["wire_hash"]:
                report.unchanged.append(tool.name)  # keep the row as it is (a dedup link included)
                continue
            tool.provenance["revision"] = int(old_prov.get("revision", 1)) + 1
            tool.provenance["previous"] = {
                "fingerprint": old.fingerprint,
                "wire_hash": old_prov.get("wire_hash"),
                "harvested_at": old_prov.get("harvested_at"),
            }
            report.changed.append(tool.name)
        else:
            report.new.append(tool.name)
        store.put([tool], status=status, reason=reason, duplicate_of=None)
    report.removed = sorted(existing[i].name for i in existing.keys() - seen)
    return report


async def harvest(
    store: Store,
    servers: Sequence[ServerConfig],
    *,
    start_timeout_s: float = START_TIMEOUT_S,
    list_timeout_s: float = LIST_TIMEOUT_S,
    max_description: int = MAX_DESCRIPTION,
    concurrency: int = 4,
    on_done: Callable[[ServerReport], None] | None = None,
) -> list[ServerReport]:
    """Harvest every server (a few at a time); one report per server, in the given order."""
    gate = asyncio.Semaphore(concurrency)
    names = [s.name for s in servers]
    if len(set(names)) != len(names):
        raise ValueError(f"server names must be unique, got {names}")

    async def one(cfg: ServerConfig) -> ServerReport:
        async with gate:
            t0 = time.perf_counter()
            try:
                listing = await list_server_tools(cfg, start_timeout_s, list_timeout_s)
                stamp = datetime.now(UTC).isoformat(timespec="seconds")
                tools = tools_from_listing(cfg, listing, stamp)
                report = await asyncio.to_thread(store_server_tools, store, cfg, tools, max_description)
                report.server_info, report.protocol, report.pages = (
                    listing.server_info,
                    listing.protocol,
                    listing.pages,
                )
            except HarvestError as exc:
                report = ServerReport(server=cfg.name, ok=False, error=str(exc))
                await asyncio.to_thread(store.record_failure, "harvest", cfg.name, str(exc), cfg.describe())
            report.seconds = time.perf_counter() - t0
            if on_done is not None:
                on_done(report)
            return report

    return list(await asyncio.gather(*(one(s) for s in servers)))
