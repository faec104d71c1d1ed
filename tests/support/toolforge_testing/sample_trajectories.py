"""Synthetic trajectories in the exporter's OpenAI chat JSONL format, for smoke runs, tests and benches.

Each line is `{"id", "messages", "tools", "metadata"}` like the exporter writes; tool-call ids mix
OpenAI-style (`call_…`) and K2-style (`functions.name:idx`) forms, some turns call tools in
parallel, and some content comes as a list of text parts. Deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

_CITIES = ["Paris", "Lagos", "Osaka", "Lima", "Oslo", "Quito", "Hanoi", "Perth", "Cairo", "Dublin"]
_ITEMS = ["laptop", "kettle", "bicycle", "lamp", "camera", "desk", "backpack", "monitor"]
_NAMES = ["Ada", "Bo", "Chen", "Dana", "Eli", "Farah", "Gus", "Hana"]


def _tool(name: str, description: str, props: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {k: {"type": t, "description": f"The {k}."} for k, t in props.items()},
                "required": list(props),
            },
        },
    }


_DOMAINS: dict[str, list[dict[str, Any]]] = {
    "weather": [
        _tool("get_weather", "Current weather for a city.", {"city": "string"}),
        _tool("get_forecast", "Forecast for a city over some days.", {"city": "string", "days": "integer"}),
    ],
    "shop": [
        _tool("search_products", "Search the catalog.", {"query": "string", "max_price": "number"}),
        _tool("add_to_cart", "Add a product to the cart.", {"product_id": "string", "quantity": "integer"}),
    ],
    "calendar": [
        _tool("list_events", "Events on a date.", {"date": "string"}),
        _tool("create_event", "Create an event.", {"title": "string", "date": "string", "guest": "string"}),
    ],
}


def _call_id(rng: random.Random, name: str, idx: int) -> str:
    style = rng.random()
    if style < 0.5:
        return f"call_{rng.getrandbits(40):010x}"
    if style < 0.9:
        return f"functions.{name}:{idx}"
    return f"tool-{idx}"


def _call(rng: random.Random, name: str, idx: int, args: dict[str, Any]) -> dict[str, Any]:
    arguments = json.dumps(args) if rng.random() < 0.8 else json.dumps(args, separators=(",", ":"))
    return {
        "id": _call_id(rng, name, idx),
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def _weather(rng: random.Random) -> list[dict[str, Any]]:
    cities = rng.sample(_CITIES, rng.choice([1, 2]))
    calls = [_call(rng, "get_weather", i, {"city": c}) for i, c in enumerate(cities)]
    temps = {c: rng.randint(-5, 35) for c in cities}
    ask = " and ".join(cities)
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": f"What is the weather in {ask} right now?"},
        {"role": "assistant", "content": "Let me check.", "tool_calls": calls},
    ]
    for call, city in zip(calls, cities, strict=True):
        result = json.dumps({"city": city, "temp_c": temps[city], "sky": rng.choice(["sunny", "rain"])})
        messages.append(
            {"role": "tool", "tool_call_id": call["id"], "name": "get_weather", "content": result}
        )
    answer = "; ".join(f"{c} is {temps[c]} degrees" for c in cities)
    messages.append({"role": "assistant", "content": f"Right now {answer}."})
    return messages


def _shop(rng: random.Random) -> list[dict[str, Any]]:
    item, price, qty = rng.choice(_ITEMS), rng.randint(20, 900), rng.randint(1, 3)
    pid = f"P{rng.randint(100, 999)}"
    search = _call(rng, "search_products", 0, {"query": item, "max_price": price})
    add = _call(rng, "add_to_cart", 0, {"product_id": pid, "quantity": qty})
    found = json.dumps({"results": [{"id": pid, "name": item, "price": price - 1}]})
    return [
        {"role": "user", "content": [{"type": "text", "text": f"Find me a {item} under {price} dollars"}]},
        {"role": "assistant", "content": None, "tool_calls": [search]},
        {"role": "tool", "tool_call_id": search["id"], "content": found},
        {"role": "assistant", "content": f"I found a {item} ({pid}) for {price - 1} dollars. Add it?"},
        {"role": "user", "content": f"Yes, add {qty} please."},
        {"role": "assistant", "content": "", "tool_calls": [add]},
        {"role": "tool", "tool_call_id": add["id"], "content": json.dumps({"ok": True, "quantity": qty})},
        {"role": "assistant", "content": f"Done: {qty} x {item} is in your cart."},
    ]


def _calendar(rng: random.Random) -> list[dict[str, Any]]:
    date = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    guest = rng.choice(_NAMES)
    listing = _call(rng, "list_events", 0, {"date": date})
    create = _call(rng, "create_event", 1, {"title": f"Lunch with {guest}", "date": date, "guest": guest})
    return [
        {"role": "user", "content": f"Am I free on {date}? If so book lunch with {guest}."},
        {"role": "assistant", "content": "Checking your calendar first.", "tool_calls": [listing]},
        {"role": "tool", "tool_call_id": listing["id"], "content": json.dumps({"events": []})},
        {
            "role": "assistant",
            "content": f"You are free. Booking lunch with {guest}.",
            "tool_calls": [create],
        },
        {
            "role": "tool",
            "tool_call_id": create["id"],
            "content": json.dumps({"event_id": rng.randint(1, 99)}),
        },
        {"role": "assistant", "content": f"Lunch with {guest} is booked for {date}."},
    ]


_BUILDERS = {"weather": _weather, "shop": _shop, "calendar": _calendar}


def sample_record(rng: random.Random, index: int) -> dict[str, Any]:
    """One exporter-format line (as a dict) with a random domain."""
    domain = rng.choice(sorted(_BUILDERS))
    messages = _BUILDERS[domain](rng)
    if rng.random() < 0.85:
        system = f"You are a {domain} assistant. Use the tools; be brief."
        messages.insert(0, {"role": "system", "content": system})
    return {
        "id": f"traj-{index:05d}",
        "messages": messages,
        "tools": _DOMAINS[domain],
        "metadata": {"domain": domain, "judge": {"accepted": True, "score": round(rng.random(), 3)}},
    }


def write_sample_jsonl(path: Path, n: int, seed: int = 0) -> Path:
    """Write `n` synthetic exporter-format trajectories to `path` and return it."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps(sample_record(rng, i), ensure_ascii=False) + "\n")
    return path
