"""The travel example server keeps real state: bookings change seats, bags and cabins under the
airline's rules, errors name the fix, the state file persists and a new file is a new world."""

from __future__ import annotations

import asyncio
import copy
import json
import random
from pathlib import Path
from typing import Any

from mcp import Client

from environments.tasking.blueprints import draw_arguments
from examples.mcp_servers import travel
from toolforge.core.types import ToolSpec
from toolforge_testing.example_tools import call_tool as call
from toolforge_testing.example_tools import harvest_example_server

REPO = Path(__file__).resolve().parents[2]


async def test_search_book_seat_bags_and_cancel(tmp_path: Path) -> None:
    state = tmp_path / "travel.json"
    async with Client(travel.build(state)) as c:
        err, found = await call(
            c, "search_flights", {"origin": "LHR", "destination": "CDG", "date": "2026-03-20"}
        )
        assert not err and [f["id"] for f in found["flights"]] == ["flt_0101"]
        assert found["flights"][0]["fares"]["economy"] == 12900
        err, none = await call(
            c,
            "search_flights",
            {"origin": "LHR", "destination": "CDG", "date": "2026-03-20", "max_fare_cents": 10000},
        )
        assert not err and none["count"] == 0
        err, bkg = await call(
            c, "book_flight", {"traveller_id": "trv_bruno", "flight_id": "flt_0101", "cabin": "economy"}
        )
        assert not err and bkg["id"] == "bkg_0001" and bkg["fare_cents"] == 12900 and bkg["seat"] == ""
        assert (await call(c, "get_flight", {"flight_id": "flt_0101"}))[1]["seats_left"]["economy"] == 41
        err, bkg = await call(c, "assign_seat", {"booking_id": "bkg_0001", "seat": "22C"})
        assert not err and bkg["seat"] == "22C"
        err, bkg = await call(c, "add_bags", {"booking_id": "bkg_0001", "bags": 2})
        assert not err and bkg["checked_bags"] == 2
        err, text = await call(c, "add_bags", {"booking_id": "bkg_0001", "bags": 2})
        assert err and "add at most 1" in text
        err, bkg = await call(c, "change_cabin", {"booking_id": "bkg_0001", "cabin": "premium"})
        assert not err and bkg["fare_cents"] == 21900 and bkg["seat"] == ""  # the economy seat is released
        err, req = await call(
            c,
            "add_special_request",
            {
                "booking_id": "bkg_0001",
                "details": "I need a wheelchair from the gate to the aircraft door.",
            },
        )
        assert not err and req["id"] == "req_0001" and req["status"] == "noted"
        err, out = await call(
            c, "cancel_booking", {"booking_id": "bkg_0001", "reason": "My meeting in Paris was cancelled."}
        )
        assert not err and out["fee_cents"] == 5000 and out["refund_cents"] == 16900
        assert out["status"] == "cancelled" and out["cancel_reason"] == "My meeting in Paris was cancelled."
        flight = (await call(c, "get_flight", {"flight_id": "flt_0101"}))[1]
        assert flight["seats_left"] == {"economy": 42, "premium": 8, "business": 4}  # back as seeded
    saved = json.loads(state.read_text())
    assert saved["bookings"]["bkg_0001"]["status"] == "cancelled"
    assert saved["requests"]["req_0001"]["details"].startswith("I need a wheelchair")
    async with Client(travel.build(state)) as c:  # a new process on the same file sees the same world
        listed = (await call(c, "list_bookings", {"traveller_id": "trv_bruno", "status": "cancelled"}))[1]
        assert [b["id"] for b in listed["bookings"]] == ["bkg_0001"]
    async with Client(travel.build(tmp_path / "other.json")) as c:  # another file is another world
        assert (await call(c, "list_bookings", {"traveller_id": "trv_bruno"}))[1]["count"] == 1


async def test_rules_fail_with_errors_that_name_the_fix() -> None:
    async with Client(travel.build(None)) as c:
        cases: list[tuple[str, dict[str, Any], str]] = [
            ("get_flight", {"flight_id": "flt_9999"}, "call search_flights"),
            ("get_traveller", {"traveller_id": "trv_nobody"}, "ask the traveller"),
            ("get_booking", {"booking_id": "bkg_0999"}, "call list_bookings"),
            ("search_flights", {"origin": "LHR", "destination": "LHR", "date": "2026-03-20"}, "same airport"),
            (
                "search_flights",
                {"origin": "LHR", "destination": "CDG", "date": "2026-02-30"},
                "not a date on the calendar",
            ),
            ("search_flights", {"origin": "LHR", "destination": "CDG", "date": "20/03/2026"}, "YYYY-MM-DD"),
            (
                "search_flights",
                {"origin": "AMS", "destination": "CDG", "date": "2026-03-12"},
                "search from today on",
            ),
            (
                "book_flight",
                {"traveller_id": "trv_dev", "flight_id": "flt_0108", "cabin": "economy"},
                "search_flights for a later date",
            ),
            (
                "book_flight",
                {"traveller_id": "trv_dev", "flight_id": "flt_0103", "cabin": "business"},
                "offer economy (23 left), premium (3 left)",
            ),
            (
                "book_flight",
                {"traveller_id": "trv_amelia", "flight_id": "flt_0101", "cabin": "economy"},
                "already holds booking bkg_0901",
            ),
            ("change_cabin", {"booking_id": "bkg_0906", "cabin": "business"}, "no business seats left"),
            (
                "change_cabin",
                {"booking_id": "bkg_0906", "cabin": "economy"},
                "already in economy; ask which cabin",
            ),
            ("add_bags", {"booking_id": "bkg_0906", "bags": 1}, "add at most 0"),
            ("assign_seat", {"booking_id": "bkg_0902", "seat": "3A"}, "rows 10-39"),
            ("assign_seat", {"booking_id": "bkg_0907", "seat": "12A"}, "rows 5-9"),
            ("assign_seat", {"booking_id": "bkg_0902", "seat": "7B"}, "not in economy"),
            (
                "cancel_booking",
                {"booking_id": "bkg_0904", "reason": "I no longer need to travel."},
                "departed on 2026-03-12",
            ),
            (
                "add_special_request",
                {
                    "booking_id": "bkg_0908",
                    "details": "A vegan meal, please, if at all possible.",
                },
                "ask at the check-in desk",
            ),
        ]
        for name, args, fix in cases:
            err, text = await call(c, name, args)
            assert err and fix in text, (name, text)
        # the seat of another confirmed booking on the same flight is taken
        err, bkg = await call(
            c, "book_flight", {"traveller_id": "trv_elena", "flight_id": "flt_0104", "cabin": "premium"}
        )
        assert not err
        err, text = await call(c, "assign_seat", {"booking_id": bkg["id"], "seat": "7B"})
        assert err and "taken on flt_0104" in text
        # gold travellers cancel without a fee; a second cancel changes nothing
        err, out = await call(
            c, "cancel_booking", {"booking_id": "bkg_0907", "reason": "Plans changed, staying home."}
        )
        assert not err and out["fee_cents"] == 0 and out["refund_cents"] == 27500
        err, again = await call(
            c, "cancel_booking", {"booking_id": "bkg_0907", "reason": "Plans changed, staying home."}
        )
        assert not err and again["refund_cents"] == 0
        err, text = await call(c, "add_bags", {"booking_id": "bkg_0907", "bags": 1})
        assert err and "book_flight makes a new booking" in text


def test_harvested_over_stdio_with_output_schemas_and_annotations(tmp_path: Path) -> None:
    tools = asyncio.run(harvest_example_server("travel", tmp_path))
    assert len(tools) == 11 and {"search_flights", "book_flight", "cancel_booking"} <= set(tools)
    for tool in tools.values():
        assert tool.output_schema is not None, tool.name
        assert tool.annotations.read_only is not None and tool.annotations.open_world is False, tool.name
    assert tools["search_flights"].annotations.read_only is True
    assert tools["cancel_booking"].annotations.destructive is True
    assert tools["book_flight"].annotations.destructive is False
    cabin = tools["change_cabin"].input_resolved["properties"]["cabin"]
    assert cabin["enum"] == ["economy", "premium", "business"]


async def test_a_sampled_search_names_a_route_and_day_of_one_seeded_flight() -> None:
    """The blueprint sampler takes a search's filters (origin, destination, date) from one record
    of the world, so the search it writes finds that flight rather than nothing."""
    async with Client(travel.build(None)) as c:
        listed = {t.name: t for t in (await c.list_tools()).tools}
    raw = listed["search_flights"]
    tool = ToolSpec(
        name=raw.name, description=raw.description or "", input_schema=raw.input_schema, source="mcp"
    )
    world = copy.deepcopy(travel.SEED)
    routes = {(f["origin"], f["destination"], f["date"]) for f in world["flights"].values()}
    for seed in range(20):
        args = draw_arguments(tool, world, [], random.Random(seed)).arguments
        assert (args["origin"], args["destination"], args["date"]) in routes, args
