"""More domain recoveries (see recoveries.py), so that most agents of the example worlds meet one
with the tools they have:

- `move_slot_taken` (update_event into a busy time): find_free_slots on that calendar and day,
  propose the first free start keeping the event's length, wait for the yes, move it there;
- `cannot_ship` (ship_order of a delivered or cancelled order): get_order to see it; with
  list_orders, find the customer's order that is still placed and propose shipping that one;
- `note_by_name` (a note named by a made-up id, "lisbon-trip"): search_notes or list_notes for
  the title, then act on the note found (a change is proposed first and waits for the yes);
- `wrong_path` (read_file or delete_file of a path with the wrong extension or folder): ask the
  user to check it (the wrong value is a `mistake` the user corrects).

Each error comes from the real server's world and each step runs there, as in recoveries.py.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any, Protocol

from environments.episodes.state import State
from environments.tasking.blueprints import Source, Step
from toolforge.core.types import ToolSpec


class Run(Protocol):
    """Runs one call of a pattern on its world: (tool name, arguments, where each came from) →
    step. With `probe` the call runs on a scratch copy instead and is no step of the blueprint:
    a pattern looking for the draw that gives its error keeps its world untouched."""

    def __call__(
        self, name: str, arguments: dict[str, Any], sources: dict[str, Source], probe: bool = False
    ) -> Awaitable[Step]: ...


def _minutes(event: dict[str, Any]) -> int:
    start, end = datetime.fromisoformat(event["start"]), datetime.fromisoformat(event["end"])
    return int((end - start).total_seconds() // 60)


def _plus(start: str, minutes: int) -> str:
    return (datetime.fromisoformat(start) + timedelta(minutes=minutes)).isoformat(timespec="minutes")


def confirmed_events(view: State) -> list[dict[str, Any]]:
    """The world's confirmed events, by id: the times a new or moved event clashes with."""
    return sorted(
        (e for e in view.get("events", {}).values() if e.get("status") == "confirmed"), key=lambda e: e["id"]
    )


async def first_free_start(
    run: Run, cal: str, day: str, minutes: int, sources: dict[str, Source]
) -> str | None:
    """find_free_slots on `cal` and `day` for `minutes`; the first free start, None when the call
    fails or finds none."""
    free = await run(
        "find_free_slots", {"calendar_id": cal, "day": day, "duration_minutes": minutes}, sources
    )
    slots = (free.result or {}).get("slots") or []
    if free.is_error or not slots:
        return None
    return slots[0]["start"]


async def _move_slot_taken(tools: dict[str, ToolSpec], view: State, rng: random.Random, run: Run) -> Any:
    if not {"update_event", "find_free_slots"} <= set(tools):
        return None
    events = confirmed_events(view)
    pairs = [
        (e, b) for e in events for b in events if e["id"] != b["id"] and e["calendar_id"] == b["calendar_id"]
    ]
    if not pairs:
        return None
    event, busy = rng.choice(pairs)
    cal, day, length = event["calendar_id"], busy["start"][:10], _minutes(event)
    asked = {"event_id": event["id"], "start": busy["start"], "end": _plus(busy["start"], length)}
    user: dict[str, Source] = {"event_id": "user", "start": "user", "end": "user"}
    failed = await run("update_event", asked, user)
    if not failed.is_error:
        return None
    start = await first_free_start(run, cal, day, length, {"calendar_id": "user"})
    if start is None:
        return None
    moved = {"event_id": event["id"], "start": start, "end": _plus(start, length)}
    if (await run("update_event", moved, {"event_id": "user", "start": "result", "end": "result"})).is_error:
        return None
    return {
        "told": {"start": asked["start"], "end": asked["end"]},
        "note": f"That time isn't free on {cal}: it overlaps {busy['id']}. Let me look for free time on {day}.",
        "propose_at": 2,
        "proposal": f"{busy['start']} is taken by {busy['id']}, but {day} is free from {start}. Shall I move "
        f"“{event['title']}” ({event['id']}) to start at {start} instead, keeping its length?",
    }


async def _cannot_ship(tools: dict[str, ToolSpec], view: State, rng: random.Random, run: Run) -> Any:
    if not {"ship_order", "get_order"} <= set(tools):
        return None
    orders = sorted(view.get("orders", {}).values(), key=lambda o: o["id"])
    done = [o for o in orders if o.get("status") in ("delivered", "cancelled")]
    if not done:
        return None
    order = rng.choice(done)
    oid, status, cid = order["id"], order["status"], order["customer_id"]
    failed = await run("ship_order", {"order_id": oid}, {"order_id": "user"})
    if not failed.is_error:
        return None
    if (await run("get_order", {"order_id": oid}, {"order_id": "user"})).is_error:
        return None
    note = f"Order {oid} can't be shipped: it is already {status}. Let me pull it up."
    placed = [o for o in orders if o["customer_id"] == cid and o.get("status") == "placed"]
    if "list_orders" not in tools or not placed:
        return {"note": note}
    found = await run("list_orders", {"customer_id": cid, "status": "placed"}, {"customer_id": "result"})
    listed = (found.result or {}).get("orders") or []
    if found.is_error or not listed:
        return None
    other = listed[0]["id"]
    if (await run("ship_order", {"order_id": other}, {"order_id": "result"})).is_error:
        return None
    return {
        "note": note,
        "propose_at": 3,
        "proposal": f"Order {oid} is already {status}, so there is nothing to ship there. Order {other} of "
        f"{cid} is placed and not shipped yet. Shall I ship {other} instead?",
    }


_NOTE_TOOLS = ("tag_note", "append_to_note", "update_note", "delete_note", "get_note")
_TAGS = ("travel", "work", "home", "ideas", "urgent", "someday")
_APPENDS = ("call the venue on Monday", "ask Grace for the numbers", "check the dates again")
_RETITLES = ("Trip plan", "Reading list", "Spring garden", "Goals for Q4", "Weekly shopping")


def _note_change(tool: str, note: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], str]:
    """The values a change to `note` sets, and the change as the assistant proposes it."""
    if tool == "tag_note":
        tag = rng.choice([t for t in _TAGS if t not in note.get("tags", [])])
        return {"tag": tag}, f"tag it with {tag}"
    if tool == "append_to_note":
        text = rng.choice(_APPENDS)
        return {"text": text}, f"add “{text}” to it"
    if tool == "update_note":
        title = rng.choice([t for t in _RETITLES if t != note["title"]])
        return {"title": title}, f"rename it to “{title}”"
    if tool == "delete_note":
        return {}, "delete it for good"
    return {}, ""


async def _note_by_name(tools: dict[str, ToolSpec], view: State, rng: random.Random, run: Run) -> Any:
    acts = [t for t in _NOTE_TOOLS if t in tools]
    finders = [t for t in ("search_notes", "list_notes") if t in tools]
    notes = sorted(view.get("notes", {}).values(), key=lambda n: n["id"])
    if not acts or not finders or not notes:
        return None
    note, tool, finder = rng.choice(notes), rng.choice(acts), finders[0]
    guess = "-".join(note["title"].lower().split())  # how a user names it, not an id
    extra, change = _note_change(tool, note, rng)
    user: dict[str, Source] = {"note_id": "user", **dict.fromkeys(extra, "user")}
    failed = await run(tool, {"note_id": guess, **extra}, user)
    if not failed.is_error:
        return None
    query = {"query": note["title"]} if finder == "search_notes" else {}
    found = await run(finder, query, {})
    hits = (found.result or {}).get("notes") or []
    if found.is_error or not any(h["id"] == note["id"] for h in hits):
        return None
    if (await run(tool, {"note_id": note["id"], **extra}, {**user, "note_id": "result"})).is_error:
        return None
    plan: dict[str, Any] = {
        "told": {"note_id": guess, "note title": note["title"]},
        "note": f"There's no note with the id {guess}. Let me look for the note titled “{note['title']}”.",
    }
    if change:  # a change waits for the yes to the note found
        plan["propose_at"] = 2
        plan["proposal"] = f"I found “{note['title']}” ({note['id']}). Shall I {change}?"
    return plan


def _misnamed(path: str) -> str:
    """A path as a user misremembers it: the wrong extension, else without its folder."""
    head, dot, ext = path.rpartition(".")
    swap = {"md": "txt", "txt": "md", "csv": "xlsx"}
    if dot and ext in swap:
        return f"{head}.{swap[ext]}"
    return "/" + path.rsplit("/", 1)[-1]


async def _wrong_path(tools: dict[str, ToolSpec], view: State, rng: random.Random, run: Run) -> Any:
    usable = [t for t in ("read_file", "delete_file") if t in tools]
    files = sorted(view.get("files", {}))
    if not usable or not files:
        return None
    tool, path = rng.choice(usable), rng.choice(files)
    wrong = _misnamed(path)
    if wrong in files or wrong == path:
        return None
    if not (await run(tool, {"path": wrong}, {"path": "user"})).is_error:
        return None
    if (await run(tool, {"path": path}, {"path": "user"})).is_error:
        return None
    return {"mistakes": {"path": wrong}}


MORE_PATTERNS = {
    "move_slot_taken": _move_slot_taken,
    "cannot_ship": _cannot_ship,
    "note_by_name": _note_by_name,
    "wrong_path": _wrong_path,
}
# The tools each needs: one of every group.
MORE_NEEDS: dict[str, list[frozenset[str]]] = {
    "move_slot_taken": [frozenset({"update_event"}), frozenset({"find_free_slots"})],
    "cannot_ship": [frozenset({"ship_order"}), frozenset({"get_order"})],
    "note_by_name": [frozenset(_NOTE_TOOLS), frozenset({"search_notes", "list_notes"})],
    "wrong_path": [frozenset({"read_file", "delete_file"})],
}
