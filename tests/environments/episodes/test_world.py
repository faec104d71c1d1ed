"""The simulated world behind tools with no implementation, checked as properties over random walks:
several seeds, imported and synthetic tool sets, every call's output and the state it leaves."""

from __future__ import annotations

import copy
import math
import random
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from world_tools import shop_tools, toolsets

from environments.episodes.executors.base import ToolResult
from environments.episodes.executors.schema_sim import SchemaSimulator
from environments.episodes.executors.semantics import semantics
from environments.episodes.state import State, collections, plural
from environments.tasking.blueprints import seed_state
from toolforge.core.jsonschema_tools import instance_for
from toolforge.core.schema import resolved
from toolforge.core.types import ToolSpec

SEEDS = range(6)
STEPS = 40
# Placeholder vocabularies: radio alphabet words that are no real record's value, lorem ipsum.
FILLER = frozenset(
    "alfa bravo charlie foxtrot kilo lima oscar papa quebec romeo sierra tango whiskey xray yankee "
    "zulu lorem ipsum dolor amet consectetur adipiscing foo baz qux placeholder".split()
)
FIX = re.compile(r"(list \w[\w ]* to (find ids|find it|see what exists)|use another id or update it)")


@dataclass
class Call:
    tool: ToolSpec
    arguments: dict[str, Any]
    out: ToolResult
    before: State
    after: State


def _ref(name: str) -> str | None:
    return name[:-3] if name.endswith("_id") else None


def _arguments(tool: ToolSpec, state: State, rng: random.Random) -> dict[str, Any]:
    """Arguments as an agent sends them: ids of records that exist (now and then one that does
    not), other values drawn for the field's name."""
    sem = semantics(tool)
    schema = resolved(tool.input_schema)
    required = set(schema.get("required", []))
    args: dict[str, Any] = {}
    for name, sub in sorted((schema.get("properties") or {}).items()):
        if name not in required and rng.random() < 0.5:
            continue
        kind = sem.kind if name == sem.id_param else _ref(name)
        ids = sorted(state.get(plural(kind), {})) if kind else []
        if kind and (ids or sem.effect != "create") and rng.random() < 0.9:
            args[name] = rng.choice(ids) if ids else f"{kind}_0099"
        else:
            args[name] = instance_for(sub, rng, name=name, topic=tool.name)
    return args


def _walk(tools: list[ToolSpec], seed: int) -> list[Call]:
    rng = random.Random(seed)
    state = seed_state(tools, rng)
    sim = SchemaSimulator()
    calls = []
    for _ in range(STEPS):
        tool = rng.choice(tools)
        args = _arguments(tool, state, rng)
        before = copy.deepcopy(state)
        out = sim.run(tool, args, state)
        calls.append(Call(tool, args, out, before, copy.deepcopy(state)))
    return calls


def _tools(name: str, tickets: list[ToolSpec]) -> list[ToolSpec]:
    return tickets if name == "tickets" else toolsets()[name]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _fields(value: Any) -> list[tuple[str, Any]]:
    """Every (key, value) pair in a JSON value, at any depth."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in [(k, v), *_fields(v)]]
    if isinstance(value, list):
        return [p for v in value for p in _fields(v)]
    return []


def _dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value, *[d for v in value.values() for d in _dicts(v)]]
    if isinstance(value, list):
        return [d for v in value for d in _dicts(v)]
    return []


def _time_kind(key: str) -> str | None:
    """Date and time fields by their names, decided here independently of the generator."""
    k = key.lower()
    if k.endswith("_at") or k in ("timestamp", "start", "end"):
        return "datetime"
    if k in ("date", "day", "due", "deadline", "birthday") or k.endswith(("_date", "_on")):
        return "date"
    if k == "time" or k.endswith("_time"):
        return "time"
    return None


def _parses(kind: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        if kind == "date":
            date.fromisoformat(value)
        elif kind == "datetime":
            datetime.fromisoformat(value)
        else:
            return bool(re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", value)) or bool(datetime.fromisoformat(value))
    except ValueError:
        return False
    return True


def _contains(have: Any, want: Any) -> bool:
    """`have` holds everything `want` says (objects may hold more fields)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and _contains(have[k], v) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(have) == len(want) and all(map(_contains, have, want))
    return bool(have == want)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ["tickets", "shop", "calendar", "retail", "clinic"])
def test_walks_hold_the_world_properties(name: str, seed: int, tickets: list[ToolSpec]) -> None:
    tools = _tools(name, tickets)
    by_kind_read = {
        semantics(t).kind: t for t in tools if semantics(t).effect == "read" and semantics(t).id_param
    }
    sim = SchemaSimulator()
    ok = 0
    for call in _walk(tools, seed):
        sem = semantics(call.tool)
        where = f"{call.tool.name}({call.arguments})"
        for text in _strings(call.out.structured) + _strings(call.after) + [call.out.content]:
            assert not set(re.findall(r"[a-z]+", text.lower())) & FILLER, (where, text)
        if call.out.is_error:
            assert FIX.search(call.out.content), (where, call.out.content)  # the error says how to go on
            assert call.after == call.before, where  # a failed call changes nothing
            continue
        ok += 1
        for key, value in _fields(call.out.structured) + _fields(collections(call.after)):
            kind = _time_kind(key)
            if kind is not None and not isinstance(value, dict | list):
                assert _parses(kind, value), (where, key, value)
        if call.tool.output_schema is not None:
            checker = Draft202012Validator(call.tool.output_schema, format_checker=FormatChecker())
            assert not list(checker.iter_errors(call.out.structured)), (where, call.out.structured)
        own = plural(sem.kind)
        others = {k: v for k, v in collections(call.after).items() if k != own}
        if sem.effect in ("read", "list"):
            assert call.after == call.before, where  # a read writes nothing
            again = sim.run(call.tool, call.arguments, copy.deepcopy(call.after))
            assert again.content == call.out.content, where  # a re-read is the same
        elif sem.effect == "create":
            new = call.after[own].keys() - call.before.get(own, {}).keys()
            assert len(new) == 1, where
            (rid,) = new
            stored = call.after[own][rid]
            assert _contains(stored, {k: v for k, v in call.arguments.items() if k != "id"}), (where, stored)
            reader = by_kind_read.get(sem.kind)
            if reader is not None and reader.input_schema["properties"].keys() == {
                reader_id := semantics(reader).id_param
            }:
                read = sim.run(reader, {reader_id: rid}, copy.deepcopy(call.after))
                shown = {k: v for k, v in call.arguments.items() if k in _dict(read.structured)}
                assert _contains(read.structured, shown), (where, read.structured)
        elif sem.effect == "update" and sem.id_param:
            rid = str(call.arguments[sem.id_param])
            old, new_rec = call.before[own][rid], call.after[own][rid]
            changed = {k for k in old.keys() | new_rec.keys() if old.get(k) != new_rec.get(k)}
            allowed = set(call.arguments) | {"status", "updated_at"} | {k for k in changed if "total" in k}
            assert changed <= allowed, (where, changed)
            assert {k: v for k, v in call.before[own].items() if k != rid} == {
                k: v for k, v in call.after[own].items() if k != rid
            }, where  # no other record moves
        elif sem.effect == "delete" and sem.id_param:
            rid = str(call.arguments[sem.id_param])
            assert rid not in call.after[own] and len(call.after[own]) == len(call.before[own]) - 1, where
        if sem.effect != "action":
            before_others = {k: v for k, v in collections(call.before).items() if k != own}
            assert others == before_others, where
        _check_arithmetic(call.out.structured, call.after, sem.kind, where)
    assert ok >= STEPS // 4  # the walk did things, not only fail


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _check_arithmetic(out: Any, state: State, kind: str, where: str) -> None:
    """Totals add up, counts equal lengths, listed records exist."""
    for d in _dicts(out):
        lines = d.get("lines")
        if isinstance(lines, list) and lines and all(isinstance(x, dict) for x in lines):
            for line in lines:
                if {"quantity", "unit_price", "line_total"} <= line.keys():
                    assert math.isclose(
                        line["line_total"], line["quantity"] * line["unit_price"], abs_tol=0.01
                    ), where
            if "subtotal" in d:
                assert math.isclose(d["subtotal"], sum(x["line_total"] for x in lines), abs_tol=0.01), where
                assert math.isclose(d["total"], d["subtotal"] + d.get("tax", 0), abs_tol=0.01), where
        arrays = [v for v in d.values() if isinstance(v, list)]
        for key in ("count", "total"):
            if len(arrays) == 1 and isinstance(d.get(key), int) and not isinstance(d.get(key), bool):
                assert d[key] == len(arrays[0]), (where, d)
    listed = out.get(plural(kind)) if isinstance(out, dict) else None
    for item in listed if isinstance(listed, list) else []:
        rid = item.get("id") if isinstance(item, dict) else item
        assert rid in state.get(plural(kind), {}), (where, rid)


@pytest.mark.parametrize("name", ["tickets", "shop", "calendar", "retail", "clinic"])
def test_the_same_seed_plays_the_same_world(name: str, tickets: list[ToolSpec]) -> None:
    tools = _tools(name, tickets)
    first, second = _walk(tools, 11), _walk(tools, 11)
    assert [(c.out.content, c.after) for c in first] == [(c.out.content, c.after) for c in second]


@pytest.mark.parametrize("name", ["tickets", "shop", "calendar", "retail", "clinic"])
def test_an_unknown_id_is_an_error_that_names_the_fix(name: str, tickets: list[ToolSpec]) -> None:
    tools = _tools(name, tickets)
    state = seed_state(tools, random.Random(0))
    checked = 0
    for tool in tools:
        sem = semantics(tool)
        if sem.id_param is None or sem.effect not in ("read", "update", "delete"):
            continue
        before = copy.deepcopy(state)
        out = SchemaSimulator().run(tool, {sem.id_param: f"{sem.kind}_0042"}, state)
        assert out.is_error, tool.name
        label = sem.kind.replace("_", " ")
        assert (
            out.content
            == f"no {label} with id {sem.kind}_0042; list {plural(sem.kind).replace('_', ' ')} to find ids"
        )
        assert state == before
        checked += 1
    assert checked >= 2


def test_a_created_order_reads_back_with_its_lines_and_totals() -> None:
    t = {tool.name: tool for tool in shop_tools()}
    sim, state = SchemaSimulator(), {}
    ada = sim.run(t["create_customer"], {"name": "Ada Lovelace", "city": "Dublin"}, state).structured
    assert ada["name"] == "Ada Lovelace" and ada["email"] == "ada.lovelace@example.com"
    lines = [{"product_id": "product_0001", "quantity": 2}, {"product_id": "product_0002", "quantity": 1}]
    placed = sim.run(t["place_order"], {"customer_id": ada["id"], "lines": lines, "currency": "EUR"}, state)
    order = placed.structured
    assert order["customer_id"] == ada["id"] and order["currency"] == "EUR" and order["status"] == "placed"
    assert [(x["product_id"], x["quantity"]) for x in order["lines"]] == [
        ("product_0001", 2),
        ("product_0002", 1),
    ]
    assert all(math.isclose(x["line_total"], x["quantity"] * x["unit_price"]) for x in order["lines"])
    assert math.isclose(order["subtotal"], sum(x["line_total"] for x in order["lines"]))
    assert math.isclose(order["total"], order["subtotal"] + order["tax"])
    assert order["created_at"].startswith("2026-03-16T")  # the world's clock, not a date in the past
    read = sim.run(t["get_order"], {"order_id": order["id"]}, state)
    assert read.structured == order  # what was created reads back as it was shown
    assert sim.run(t["get_order"], {"order_id": order["id"]}, state).content == read.content
    listed = sim.run(t["list_orders"], {"customer_id": ada["id"]}, state).structured
    assert listed == {"orders": [order], "count": 1}
    assert sim.run(t["list_orders"], {"customer_id": "customer_0099"}, state).structured == {
        "orders": [],
        "count": 0,
    }


def test_updates_change_only_what_they_set_and_deletes_remove() -> None:
    t = {tool.name: tool for tool in shop_tools()}
    sim, state = SchemaSimulator(), {}
    cus = sim.run(t["create_customer"], {"name": "Grace Hopper"}, state).structured
    order = sim.run(
        t["place_order"], {"customer_id": cus["id"], "lines": [{"product_id": "p", "quantity": 3}]}, state
    )
    oid = order.structured["id"]
    before = copy.deepcopy(state["orders"][oid])
    updated = sim.run(t["update_order"], {"order_id": oid, "notes": "Leave at the front desk."}, state)
    assert updated.structured["notes"] == "Leave at the front desk."
    assert state["orders"][oid] == {**before, "notes": "Leave at the front desk."}
    assert {k: v for k, v in updated.structured.items() if k != "notes"} == {
        k: v for k, v in order.structured.items() if k != "notes"
    }
    gone = sim.run(t["delete_order"], {"order_id": oid}, state)
    assert gone.structured == {"deleted": True, "message": f"Order {oid} deleted."}
    assert oid not in state["orders"]
    assert sim.run(t["get_order"], {"order_id": oid}, state).is_error


def test_a_write_naming_a_record_that_does_not_exist_fails() -> None:
    t = {tool.name: tool for tool in shop_tools()}
    state: State = {"customers": {"customer_0001": {"id": "customer_0001", "name": "Ada Lovelace"}}}
    out = SchemaSimulator().run(
        t["place_order"],
        {"customer_id": "customer_0007", "lines": [{"product_id": "p", "quantity": 1}]},
        state,
    )
    assert out.is_error and out.content == "no customer with id customer_0007; list customers to find ids"
    assert "orders" not in state


def test_enums_from_the_schema_are_respected_and_filters_agree_with_reads() -> None:
    t = {tool.name: tool for tool in shop_tools()}
    enum = ["placed", "paid", "shipped", "cancelled"]
    for seed in SEEDS:
        state = seed_state(list(t.values()), random.Random(seed))
        sim = SchemaSimulator()
        statuses = {}
        for oid in sorted(state["orders"]):
            shown = sim.run(t["get_order"], {"order_id": oid}, state).structured
            assert shown["status"] in enum and shown["currency"] in ("USD", "EUR", "GBP")
            statuses[oid] = shown["status"]
        for status in enum:
            listed = sim.run(t["list_orders"], {"status": status}, state).structured["orders"]
            assert sorted(o["id"] for o in listed) == sorted(k for k, v in statuses.items() if v == status)


def test_a_calendar_without_output_schemas_keeps_its_dates() -> None:
    t = {tool.name: tool for tool in toolsets()["calendar"]}
    sim, state = SchemaSimulator(), {}
    event = {"title": "Design review", "start": "2026-12-01T14:00", "end": "2026-12-01T15:30"}
    created = sim.run(t["create_event"], event, state).structured
    assert created == {"id": "event_0001", **event}
    moved = sim.run(
        t["update_event"], {"event_id": "event_0001", "start": "2026-12-02T09:00"}, state
    ).structured
    assert moved == {**created, "start": "2026-12-02T09:00"}
    assert sim.run(t["list_events"], {"query": "design"}, state).structured == [moved]
    assert sim.run(t["list_events"], {"query": "budget"}, state).structured == []


@pytest.mark.parametrize("seed", SEEDS)
def test_a_record_reads_the_same_from_every_tool_and_after_other_writes(seed: int) -> None:
    """`get_order` and `list_orders` show a record alike; a write elsewhere does not change it."""
    t = {tool.name: tool for tool in shop_tools()}
    state = seed_state(list(t.values()), random.Random(seed))
    sim = SchemaSimulator()
    got = {
        oid: sim.run(t["get_order"], {"order_id": oid}, state).structured for oid in sorted(state["orders"])
    }
    listed = sim.run(t["list_orders"], {}, state).structured["orders"]
    assert {o["id"]: o for o in listed} == got
    customer = sorted(state["customers"])[0]
    sim.run(t["place_order"], {"customer_id": customer, "lines": [{"product_id": "p", "quantity": 1}]}, state)
    sim.run(t["create_customer"], {"name": "Omar Haddad"}, state)
    for oid, shown in got.items():
        assert sim.run(t["get_order"], {"order_id": oid}, state).structured == shown


def test_reads_never_write_even_where_stored_arithmetic_is_off() -> None:
    """A seeded record whose total does not add up is shown with the right total, and left as it is."""
    t = {tool.name: tool for tool in shop_tools()}
    line = {"product_id": "p", "quantity": 3, "unit_price": 2.5, "line_total": 1.0}
    state: State = {
        "orders": {
            "order_0001": {
                "id": "order_0001",
                "customer_id": "c",
                "lines": [line],
                "subtotal": 1.0,
                "total": 9.0,
            }
        }
    }
    before = copy.deepcopy(state)
    shown = SchemaSimulator().run(t["get_order"], {"order_id": "order_0001"}, state).structured
    assert shown["lines"][0]["line_total"] == 7.5 and shown["subtotal"] == 7.5
    assert shown["total"] == 7.5 + shown["tax"]
    assert state == before
