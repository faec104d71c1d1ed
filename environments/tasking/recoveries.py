"""Domain recoveries that need thought (issue 14 item 7): a call the real world rejects for a
reason whose right handling is a different action, drawn from the seeded world itself.

- `out_of_stock` (add_to_cart of more than the stock): tell the user, propose the quantity in
  stock, wait for the yes, add that;
- `slot_taken` (create_event over a confirmed event): find_free_slots on that calendar and day,
  propose the first free slot, wait for the yes, create it there;
- `invalid_date` (create_event on a day the calendar has not got, 2026-11-31): ask the user for a
  valid date (the wrong value is a `mistake` the user corrects);
- `not_found_by_name` (the user names a product by a made-up id): search by the name, propose the
  product found, wait for the yes, add it.

More patterns, for the tools other agents have, are in recoveries_more.py; the one any world
teaches whose errors name their way out ("…; place_hold to join the queue") is in
recoveries_named.py. Every error comes
from the real server's world (the chosen arguments produce it) and every step
is run there, so a replay on a fresh copy reproduces it.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from environments.episodes.executors.semantics import semantics
from environments.episodes.state import State
from environments.tasking import recoveries_named
from environments.tasking.blueprints import Built, Replayer, Source, Step, World, world_view
from environments.tasking.recoveries_more import (
    MORE_NEEDS,
    MORE_PATTERNS,
    Run,
    confirmed_events,
    first_free_start,
)
from toolforge.core.types import ToolSpec

Pattern = Callable[[dict[str, ToolSpec], State, random.Random, Run], Awaitable[dict[str, Any] | None]]


def _customer_and_product(
    view: State, rng: random.Random, min_stock: int
) -> tuple[str, dict[str, Any]] | None:
    """A customer and a product with at least `min_stock` units, drawn product first; None when
    the world has neither."""
    products = [p for p in view.get("products", {}).values() if p.get("stock", 0) >= min_stock]
    customers = sorted(view.get("customers", {}))
    if not products or not customers:
        return None
    product = rng.choice(sorted(products, key=lambda p: p["id"]))
    return rng.choice(customers), product


async def _out_of_stock(tools: dict[str, ToolSpec], view: State, rng: random.Random, run: Run) -> Any:
    if "add_to_cart" not in tools:
        return None
    picked = _customer_and_product(view, rng, min_stock=1)
    if picked is None:
        return None
    cid, product = picked
    pid, stock = product["id"], product["stock"]
    want = stock + rng.randint(1, 4)
    user: dict[str, Source] = {"customer_id": "user", "product_id": "user", "quantity": "user"}
    failed = await run("add_to_cart", {"customer_id": cid, "product_id": pid, "quantity": want}, user)
    if not failed.is_error:
        return None
    ok = await run(
        "add_to_cart",
        {"customer_id": cid, "product_id": pid, "quantity": stock},
        {"customer_id": "user", "product_id": "user", "quantity": "result"},
    )
    if ok.is_error:
        return None
    return {
        "told": {"quantity": want},
        "propose_at": 1,
        "proposal": f"I couldn't add {want}: only {stock} of {pid} are in stock. "
        f"Shall I put {stock} in the cart for {cid} instead?",
    }


async def _slot_taken(tools: dict[str, ToolSpec], view: State, rng: random.Random, run: Run) -> Any:
    if not {"create_event", "find_free_slots"} <= set(tools):
        return None
    events = confirmed_events(view)
    if not events:
        return None
    clash = rng.choice(events)
    title = rng.choice(["Budget check-in", "1:1 with Grace", "Vendor call", "Interview debrief"])
    cal, day = clash["calendar_id"], clash["start"][:10]
    user: dict[str, Source] = {"calendar_id": "user", "title": "user", "start": "user", "end": "user"}
    args = {"calendar_id": cal, "title": title, "start": clash["start"], "end": clash["end"]}
    failed = await run("create_event", args, user)
    if not failed.is_error:
        return None
    start = await first_free_start(run, cal, day, 60, {})
    if start is None:
        return None
    end = f"{start[:11]}{int(start[11:13]) + 1:02d}{start[13:]}"
    ok = await run(
        "create_event",
        {**args, "start": start, "end": end},
        {**user, "start": "result", "end": "result"},
    )
    if ok.is_error:
        return None
    return {
        "told": {"start": clash["start"], "end": clash["end"]},
        "note": f"That time isn't free on {cal}: it overlaps {clash['id']}. Let me look for a free hour on {day}.",
        "propose_at": 2,
        "proposal": f"That time is taken by {clash['id']}, but {day} is free from {start[11:]} for at least an "
        f"hour. Shall I book “{title}” on {cal} at {start} for one hour instead?",
    }


async def _invalid_date(tools: dict[str, ToolSpec], view: State, rng: random.Random, run: Run) -> Any:
    if "create_event" not in tools or not view.get("calendars"):
        return None
    cal = rng.choice(sorted(view["calendars"]))
    title = rng.choice(["Quarterly review", "Team lunch", "Offsite planning", "Coffee with Alan"])
    hour = rng.choice([9, 11, 13, 15])
    day = rng.choice(["2026-11-31", "2026-02-30", "2026-09-31"])  # months without that day
    user: dict[str, Source] = {"calendar_id": "user", "title": "user", "start": "user", "end": "user"}
    good = f"{day[:8]}{int(day[8:]) - 1 - (day[5:7] == '02'):02d}"  # the month's last day
    args = {
        "calendar_id": cal,
        "title": title,
        "start": f"{day}T{hour:02d}:00",
        "end": f"{day}T{hour + 1:02d}:00",
    }
    failed = await run("create_event", args, user)
    if not failed.is_error:
        return None
    fixed = {**args, "start": f"{good}T{hour:02d}:00", "end": f"{good}T{hour + 1:02d}:00"}
    if (await run("create_event", fixed, user)).is_error:
        return None
    return {"mistakes": {"start": args["start"], "end": args["end"]}}


async def _not_found_by_name(tools: dict[str, ToolSpec], view: State, rng: random.Random, run: Run) -> Any:
    if not {"add_to_cart", "search_products"} <= set(tools):
        return None
    picked = _customer_and_product(view, rng, min_stock=2)
    if picked is None:
        return None
    cid, product = picked
    word = product["name"].split()[-1].lower()
    guess = "-".join(product["name"].lower().split()[:2])  # what a user calls it, not an id
    user: dict[str, Source] = {"customer_id": "user", "product_id": "user", "quantity": "user"}
    failed = await run("add_to_cart", {"customer_id": cid, "product_id": guess, "quantity": 1}, user)
    if not failed.is_error:
        return None
    found = await run("search_products", {"query": word, "in_stock_only": True}, {"query": "user"})
    hits = (found.result or {}).get("products") or []
    if found.is_error or not any(h["id"] == product["id"] for h in hits):
        return None
    ok = await run(
        "add_to_cart",
        {"customer_id": cid, "product_id": product["id"], "quantity": 1},
        {**user, "product_id": "result"},
    )
    if ok.is_error:
        return None
    return {
        "told": {"product_id": guess, "product name": product["name"]},
        "note": f"I couldn't find a product with the id {guess}. Let me search the catalogue for “{word}”.",
        "propose_at": 2,
        "proposal": f"I found {product['name']} ({product['id']}), {product['stock']} in stock. "
        f"Shall I add 1 of it to the cart for {cid}?",
    }


PATTERNS: dict[str, Pattern] = {
    "out_of_stock": _out_of_stock,
    "slot_taken": _slot_taken,
    "invalid_date": _invalid_date,
    "not_found_by_name": _not_found_by_name,
}


PATTERNS.update(MORE_PATTERNS)
PATTERNS[recoveries_named.KIND] = recoveries_named.error_names_the_fix
# The tools each pattern needs: one of every group.
NEEDS: dict[str, list[frozenset[str]]] = {
    "out_of_stock": [frozenset({"add_to_cart"})],
    "slot_taken": [frozenset({"create_event"}), frozenset({"find_free_slots"})],
    "invalid_date": [frozenset({"create_event"})],
    "not_found_by_name": [frozenset({"add_to_cart"}), frozenset({"search_products"})],
    **MORE_NEEDS,
}


def applicable(tools: Sequence[ToolSpec], replayer: Replayer) -> list[str]:
    """The patterns whose tools this agent has on a served world; the error-named fix wherever
    the agent has writes there for an error to name."""
    served = {t.name: t for t in tools if replayer.on_server(t)}
    kinds = [kind for kind, groups in NEEDS.items() if all(group & set(served) for group in groups)]
    return kinds + [recoveries_named.KIND] if recoveries_named.applies(served) else kinds


async def build_recovery(
    kind: str,
    tools: Sequence[ToolSpec],
    initial_state: State,
    rng: random.Random,
    replayer: Replayer,
    world: World,
) -> Built | None:
    """Run pattern `kind` on `world` (a fresh copy of the served worlds); None when this world
    does not give the error or the recovery does not succeed."""
    by_name = {t.name: t for t in tools if replayer.on_server(t)}
    state = copy.deepcopy(initial_state)
    view = world_view(state)
    steps: list[Step] = []
    scratch, scratch_state = World(), copy.deepcopy(initial_state)

    async def run(
        name: str, arguments: dict[str, Any], sources: dict[str, Source], probe: bool = False
    ) -> Step:
        tool = by_name[name]
        target = scratch if probe else world
        out = await replayer.arun(tool, arguments, scratch_state if probe else state, target.id)
        target.touched |= probe or semantics(tool).mutates  # a probed scratch copy is closed after
        result = {"error": out.content} if out.is_error else out.structured
        step = Step(
            tool, arguments, {k: v for k, v in sources.items() if k in arguments}, result, out.is_error
        )
        if not probe:
            steps.append(step)
        return step

    try:
        plan = await PATTERNS[kind](by_name, view, rng, run)
    finally:
        if scratch.touched:
            await replayer.close(scratch.id, scratch_state)
    await replayer.close(world.id, state)
    world.closed = True
    if plan is None:
        return None
    mistakes = plan.pop("mistakes", {})
    return Built(
        steps=steps,
        initial_state=copy.deepcopy(initial_state),
        end_state=state,
        mistakes=mistakes,
        recovery={"kind": kind, **plan},
    )
