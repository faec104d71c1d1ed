"""Harvest for real over stdio and streamable HTTP: our example servers, two servers from PyPI,
and hand-written servers that crash, hang, send invalid schemas or absurd descriptions."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from toolforge.core.store import FailureRow, Store
from toolforge.tools.harvest import harvest
from toolforge.tools.library import load_tools
from toolforge.tools.servers import ServerConfig, load_servers, parse_servers, server_from_cli

REPO = Path(__file__).resolve().parents[2]
BAD = str(Path(__file__).parent / "fixtures" / "bad_server.py")
BIN = Path(sys.executable).parent


def bad(mode: str, **env: str) -> ServerConfig:
    return ServerConfig(name=mode, command="python", args=[BAD, mode], env=env)


@pytest.fixture(scope="module")
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("repo")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "examples.mcp_servers.workspace",
            "--transport",
            "streamable-http",
            "--port",
            str(port),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 30
    while True:  # poll until it accepts connections
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the HTTP example server did not come up") from None
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def harvested(git_repo: Path, http_server: str, tmp_path_factory: pytest.TempPathFactory):
    """One harvest of everything, shared by the assertions below."""
    import asyncio

    assert shutil.which("mcp-server-time", path=str(BIN)), "pip install mcp-server-time mcp-server-git"
    store = Store(str(tmp_path_factory.mktemp("h") / "t.db"))
    servers = load_servers(REPO / "examples" / "mcp_servers" / "servers.json")
    servers += [
        ServerConfig(name="time", command=str(BIN / "mcp-server-time"), args=["--local-timezone", "UTC"]),
        ServerConfig(name="git", command=str(BIN / "mcp-server-git"), args=["--repository", str(git_repo)]),
        ServerConfig(name="workspace-http", url=http_server),
        bad("crash"),
        bad("hang").model_copy(update={"start_timeout_s": 3.0}),  # its own, shorter timeout
        bad("bad-schema"),
        bad("huge-description"),
        bad("broken-list"),
        bad("paged"),
        bad("versioned", BAD_SERVER_VERSION="1"),
    ]
    t0 = time.perf_counter()
    reports = asyncio.run(harvest(store, servers, start_timeout_s=60, list_timeout_s=30, concurrency=8))
    return store, {r.server: r for r in reports}, time.perf_counter() - t0


def test_real_servers_load_with_wire_form_and_provenance(harvested) -> None:
    store, reports, _ = harvested
    counts = {
        name: reports[name].tools
        for name in (
            "agenda",
            "shop",
            "workspace",
            "helpdesk",
            "library",
            "travel",
            "time",
            "git",
            "workspace-http",
        )
    }
    assert counts == {
        "agenda": 10,
        "shop": 13,
        "workspace": 13,
        "helpdesk": 11,
        "library": 11,
        "travel": 11,
        "time": 2,
        "git": 12,
        "workspace-http": 13,
    }
    assert all(reports[n].ok and not reports[n].rejected for n in counts)
    assert reports["time"].server_info.startswith("mcp-time")
    tools = {(t.origin, t.name): t for t in load_tools(store)}
    refund = tools[("shop", "request_refund")]
    assert refund.raw is not None and refund.raw["inputSchema"] == refund.input_schema
    assert refund.raw["annotations"]["destructiveHint"] is True and refund.annotations.destructive
    assert refund.output_schema is not None and "amount_cents" in refund.output_schema["properties"]
    prov = refund.provenance
    assert prov["server"] == "shop" and prov["server_info"] == "shop 0.1.0" and prov["transport"] == "stdio"
    assert prov["protocol"] == "2025-11-25" and prov["harvested_at"] and prov["revision"] == 1
    assert tools[("workspace-http", "read_file")].provenance["transport"] == "http"
    assert tools[("git", "git_status")].annotations.read_only is True


def test_misbehaving_servers_give_clear_errors_and_do_not_stop_the_others(harvested) -> None:
    store, reports, seconds = harvested
    crash = reports["crash"]
    assert (
        not crash.ok and "failed to start" in crash.error and "cannot open config" in crash.error
    )  # stderr tail
    assert not reports["hang"].ok and "within 3s" in reports["hang"].error
    broken = reports["broken-list"]
    assert not broken.ok and "invalid tools/list result" in broken.error and "inputSchema" in broken.error
    schema = reports["bad-schema"]
    assert schema.ok and schema.new == ["good_tool", "typo_type", "has space in name"]
    assert "'strin' is not valid" in schema.rejected["typo_type"]
    assert "not a legal function name" in schema.rejected["has space in name"]
    huge = reports["huge-description"]
    assert huge.ok and "description is 2000000 characters" in huge.rejected["rambling"]
    rows = {r.name: r for r in store.tool_rows(origin="bad-schema")}
    assert rows["typo_type"].status == "rejected" and "strin" in rows["typo_type"].reason
    assert rows["good_tool"].status == "ok"
    failures = {f.item_id: f.reason for f in store.rows(FailureRow, stage="harvest")}
    assert set(failures) == {"crash", "hang", "broken-list"}
    assert reports["hang"].seconds < 15  # the hanging server cost its own timeout, not the run's


def test_pagination_collects_every_page(harvested) -> None:
    _, reports, _ = harvested
    assert reports["paged"].pages == 3 and reports["paged"].tools == 25


def test_reharvest_is_idempotent_and_records_changes(harvested) -> None:
    import asyncio

    store, _, _ = harvested
    before = {r.id: r.content_hash for r in store.tool_rows(origin="shop")}
    again = asyncio.run(harvest(store, load_servers(REPO / "examples" / "mcp_servers" / "servers.json")[1:2]))
    assert again[0].server == "shop" and len(again[0].unchanged) == 13 and not again[0].new + again[0].changed
    assert {r.id: r.content_hash for r in store.tool_rows(origin="shop")} == before

    v2 = asyncio.run(harvest(store, [bad("versioned", BAD_SERVER_VERSION="2")]))[0]
    assert v2.changed == ["moves"] and v2.unchanged == ["stays"] and v2.removed == ["goes_away"]
    moved = next(t for t in load_tools(store, origin="versioned") if t.name == "moves")
    assert moved.description == "moves, version 2."
    assert moved.provenance["revision"] == 2 and moved.provenance["previous"]["wire_hash"]


def test_servers_file_shapes_and_cli_specs(tmp_path: Path) -> None:
    yaml_file = tmp_path / "servers.yaml"
    yaml_file.write_text(
        "mcpServers:\n"
        "  t:\n    command: mcp-server-time\n    args: [--local-timezone, UTC]\n    autoApprove: []\n"
        "  h:\n    type: streamable-http\n    url: http://127.0.0.1:1/mcp\n"
        "  off:\n    command: x\n    disabled: true\n"
    )
    servers = load_servers(yaml_file)
    assert [(s.name, s.kind) for s in servers] == [("t", "stdio"), ("h", "http")]
    with pytest.raises(ValueError, match="exactly one of 'command'"):
        parse_servers({"mcpServers": {"x": {"args": []}}})
    with pytest.raises(ValueError, match="bogus"):
        parse_servers({"mcpServers": {"x": {"command": "a", "bogus": 1}}})
    with pytest.raises(ValueError, match="SSE"):
        parse_servers({"mcpServers": {"x": {"url": "http://a/sse", "type": "sse"}}})
    cli = server_from_cli("mcp-server-time --local-timezone 'Europe/Paris'")
    assert cli.command == "mcp-server-time" and cli.args == ["--local-timezone", "Europe/Paris"]
    assert server_from_cli("http://127.0.0.1:8000/mcp").kind == "http"
