"""The example servers keep real state: flows work, rules hold, state files persist and isolate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

from examples.mcp_servers import agenda, shop, workspace

REPO = Path(__file__).resolve().parents[2]


async def call(client: Client, name: str, args: dict[str, Any]) -> tuple[bool, Any]:
    r = await client.call_tool(name, args)
    return r.is_error, r.structured_content if not r.is_error else r.content[0].text


async def test_shop_orders_refunds_and_stock(tmp_path: Path) -> None:
    state = tmp_path / "shop.json"
    async with Client(shop.build(state)) as c:
        assert (
            await call(c, "add_to_cart", {"customer_id": "cus_ada", "product_id": "prd_lamp", "quantity": 2})
        )[0] is False
        err, order = await call(c, "place_order", {"customer_id": "cus_ada"})
        assert not err and order["id"] == "ord_0001" and order["total_cents"] == 2 * 2599
        assert (await call(c, "get_product", {"product_id": "prd_lamp"}))[1]["stock"] == 3
        err, text = await call(c, "request_refund", {"order_id": "ord_0001", "reason": "broken"})
        assert err and "request_refund" in text and "only shipped or delivered" in text
        assert (await call(c, "ship_order", {"order_id": "ord_0001"}))[1]["status"] == "shipped"
        err, refund = await call(
            c, "request_refund", {"order_id": "ord_0001", "reason": "broken", "amount_cents": 1000}
        )
        assert not err and refund["amount_cents"] == 1000
        assert (await call(c, "get_customer", {"customer_id": "cus_ada"}))[1]["credit_cents"] == 1000
        err, text = await call(
            c, "request_refund", {"order_id": "ord_0001", "reason": "more", "amount_cents": 99999}
        )
        assert err and "between 1 and 4198" in text
        assert (await call(c, "add_to_cart", {"customer_id": "cus_ada", "product_id": "prd_chair"}))[
            0
        ]  # no stock
    saved = json.loads(state.read_text())
    assert (
        saved["orders"]["ord_0001"]["refunded_cents"] == 1000 and saved["products"]["prd_lamp"]["stock"] == 3
    )
    async with Client(shop.build(state)) as c:  # a new process on the same file sees the same world
        assert (await call(c, "list_orders", {"customer_id": "cus_ada"}))[1]["count"] == 1
    async with Client(shop.build(tmp_path / "other.json")) as c:  # another file is another world
        assert (await call(c, "list_orders", {"customer_id": "cus_ada"}))[1]["count"] == 0


async def test_agenda_conflicts_and_free_slots() -> None:
    async with Client(agenda.build(None)) as c:
        err, text = await call(
            c, "create_event",
            {"calendar_id": "cal_work", "title": "Clash", "start": "2026-12-01T09:30", "end": "2026-12-01T10:30"},
        )  # fmt: skip
        assert err and "overlaps evt_0001" in text
        err, ev = await call(
            c, "create_event",
            {"calendar_id": "cal_work", "title": "1:1", "start": "2026-12-01T11:00", "end": "2026-12-01T11:30"},
        )  # fmt: skip
        assert not err and ev["id"] == "evt_0003"
        slots = (
            await call(
                c, "find_free_slots", {"calendar_id": "cal_work", "day": "2026-12-01", "duration_minutes": 60}
            )
        )[1]
        assert [s["start"] for s in slots["slots"]] == [
            "2026-12-01T10:00",
            "2026-12-01T11:30",
            "2026-12-01T15:30",
        ]
        await call(c, "cancel_event", {"event_id": "evt_0001"})
        assert (await call(c, "list_events", {"calendar_id": "cal_work"}))[1]["count"] == 2


async def test_workspace_notes_and_files() -> None:
    async with Client(workspace.build(None)) as c:
        note = (await call(c, "create_note", {"title": "Ideas", "body": "graph sampling", "tags": ["work"]}))[
            1
        ]
        assert note["id"] == "note_0003"
        assert [n["id"] for n in (await call(c, "search_notes", {"query": "GRAPH"}))[1]["notes"]] == [
            "note_0003"
        ]
        assert (await call(c, "list_notes", {"tag": "work"}))[1]["count"] == 2
        err, text = await call(c, "move_file", {"path": "/readme.txt", "new_path": "/projects/plan.md"})
        assert err and "overwrite" in text
        assert (await call(c, "move_file", {"path": "/readme.txt", "new_path": "/docs/readme.txt"}))[1][
            "size"
        ] == 26
        err, text = await call(c, "read_file", {"path": "/readme.txt"})
        assert err and "no file" in text


async def test_every_tool_has_an_output_schema_and_annotations() -> None:
    for module in (agenda, shop, workspace):
        async with Client(module.build(None)) as c:
            for tool in (await c.list_tools()).tools:
                assert tool.output_schema is not None, tool.name
                assert tool.annotations is not None and tool.annotations.read_only_hint is not None, tool.name


async def test_runs_by_path_over_stdio_with_a_state_file_from_the_environment(tmp_path: Path) -> None:
    state = tmp_path / "ws.json"
    params = StdioServerParameters(
        command=sys.executable,
        args=[str(REPO / "examples" / "mcp_servers" / "workspace.py")],
        env={"WORKSPACE_STATE_FILE": str(state)},
    )
    async with Client(params, mode="legacy") as c:
        await call(c, "write_file", {"path": "/a.txt", "content": "hello"})
    assert json.loads(state.read_text())["files"]["/a.txt"] == "hello"
    help_text = subprocess.run(
        [sys.executable, "-m", "examples.mcp_servers.shop", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout
    assert "--state" in help_text and "streamable-http" in help_text
