"""Whether the calls of one episode belong to one task: they share an entity or pass data along.

A chain teaches something only when its steps hang together: the free slot found on `cal_team` is
booked on `cal_team`, the event just updated is the one read back. Two calls are *linked* when a
value one sends equals a value the other sent or got back: the same id (the same calendar, event,
product, note), or an output value used as an input (a slot's start, a customer's e-mail), dates
compared by their day. A value that only names the record's container (an event's `calendar_id`,
an order's `customer_id`) is a weak link: it counts unless the later call is about a day the
earlier one is not (renaming the planning meeting of 1 December, then looking for free time on
18 January of the same calendar, is two errands, not one). Linked calls that take data from one
another yet name two different records of one kind (slots found on `cal_team`, the event created
on `cal_home`) are *crossed*.

Used by the chain builder (environments/tasking/tasks.py keeps only coherent chains) and by the rules
judge (judges/chain.py), so a chain is built only when the judge would accept it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# Values of these keys are enums or settings shared by many records, not entities.
_GENERIC_KEYS = frozenset(
    "status state type kind category role format mode timezone currency unit sort order_by "
    "direction visibility priority language locale".split()
)
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_SEPARATORS = re.compile(r"[\s_-]+")
Role = Literal["argument", "own_id", "reference", "data"]


@dataclass(frozen=True)
class Call:
    """One tool call of an episode: what was sent and what came back (None after an error)."""

    name: str
    arguments: dict[str, Any]
    result: Any = None
    is_error: bool = False


@dataclass(frozen=True)
class ChainProblem:
    code: Literal["unrelated_call", "crossed_entity"]
    message: str


@dataclass
class _Step:
    """Calls that are one step: a call and its retries or corrections after an error."""

    index: int  # of its first call, counted from 1
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    sent: list[tuple[str, str]] = field(default_factory=list)  # (key, value) over all its calls
    held: list[tuple[str, str, Role]] = field(default_factory=list)  # (key, value, role)
    scope: dict[str, str] = field(default_factory=dict)  # id key → the record it names
    acted_on: set[str] = field(default_factory=set)  # the id of the one record it returned

    @property
    def label(self) -> str:
        return f"call {self.index} ({self.name})"


def is_id_key(key: str) -> bool:
    return key == "id" or key.endswith("_id") or (key.endswith("Id") and len(key) > 2)


def day_of(value: str) -> str | None:
    """The day of an ISO date or date-time (`2026-12-01T09:00` → `2026-12-01`), else None."""
    match = _DATE.match(value.strip())
    return match.group(1) if match else None


def _scalars(key: str, value: Any, depth: int = 0) -> Iterator[tuple[str, Any, Role]]:
    """(key, value, role) for the scalar leaves of a result. A record's `id` is its own id; its
    other `*_id` fields point at the records it belongs to (an event's calendar, an order's
    customer): references. An `*_id` in an item without an id of its own (an order line's
    product) is the item's content: data, like every other value."""
    if depth > 4:
        return
    if isinstance(value, dict):
        record = isinstance(value.get("id"), str)
        for k, v in value.items():
            if isinstance(v, dict | list):
                yield from _scalars(k, v, depth + 1)
            elif k == "id":
                yield k, v, "own_id"
            else:
                yield k, v, "reference" if record and is_id_key(k) else "data"
    elif isinstance(value, list):
        for item in value[:50]:
            yield from _scalars(key, item, depth + 1)
    else:
        yield key, value, "data"


def _linkable(key: str, value: Any) -> str | None:
    """The text of a value that can tie two calls together; None for switches, small numbers,
    enum-like settings and one- or two-letter strings."""
    if key in _GENERIC_KEYS or isinstance(value, bool) or not isinstance(value, str):
        return None
    text = value.strip()
    return text if len(text) >= 3 else None


def _plain(text: str) -> str:
    """A value as compared: case, and `-`/`_`/spaces between words, do not matter (the note the
    user called "lisbon-trip" is the one titled "Lisbon trip")."""
    return _SEPARATORS.sub(" ", text.lower()).strip()


def _steps(calls: Sequence[Call]) -> list[_Step]:
    steps: list[_Step] = []
    previous: Call | None = None
    for number, call in enumerate(calls, start=1):
        if previous is not None and previous.is_error and previous.name == call.name:
            step = steps[-1]  # a retry, or the same call with the user's correction
        else:
            step = _Step(index=number, name=call.name)
            steps.append(step)
        step.arguments = dict(call.arguments)
        for key, value in call.arguments.items():
            for item in value if isinstance(value, list) else [value]:
                text = _linkable(key, item)
                if text is not None:
                    step.sent.append((key, text))
                    step.held.append((key, text, "argument"))
            if is_id_key(key) and isinstance(value, str) and not call.is_error:
                step.scope[key] = value  # a rejected id named no record
        if not call.is_error and call.result is not None:
            for key, value, role in _scalars("", call.result):
                text = _linkable(key, value)
                if text is not None:
                    step.held.append((key, text, role))
            if isinstance(call.result, dict) and isinstance(call.result.get("id"), str):
                step.acted_on.add(_plain(call.result["id"]))
                for key, value in call.result.items():  # the record the call acted on, and its parents
                    if key != "id" and is_id_key(key) and isinstance(value, str):
                        step.scope.setdefault(key, value)
        previous = call
    return steps


@dataclass(frozen=True)
class _Link:
    strong: bool  # an argument, a record's own id or an output value; else only a container id
    shared_id: bool  # both name one record (an id the later call sends)
    values: tuple[str, ...]


def _link(earlier: _Step, later: _Step) -> _Link | None:
    roles: dict[str, set[Role]] = {}
    for _, value, role in earlier.held:
        roles.setdefault(_plain(value), set()).add(role)
    held_days = {day for _, value, _ in earlier.held if (day := day_of(value))}
    strong = shared = False
    values: list[str] = []
    for key, value in later.sent:
        found = roles.get(_plain(value), set())
        day = day_of(value)
        if not found and day is not None and day in held_days:
            found = {"data"}  # the same day: a date taken from an earlier start or slot
        if not found:
            continue
        values.append(value)
        # a reference followed to the record itself (an order's product, then that product) is
        # as strong as an id handed on; used as a scope (the event's calendar searched) it is not
        strong |= bool(found - {"reference"}) or _plain(value) in later.acted_on
        shared |= is_id_key(key) and not found <= {"data"}
    if not values:
        return None
    if not strong:  # only a container: the later call must be about a day the earlier one is about
        later_days = {day for _, value in later.sent if (day := day_of(value))}
        if later_days and held_days and not later_days & held_days:
            return None
    return _Link(strong=strong, shared_id=shared, values=tuple(dict.fromkeys(values)))


def _crossed(earlier: _Step, later: _Step, link: _Link) -> str | None:
    """The id key both name with different records, when the later call takes the earlier one's
    data but shares none of its records."""
    if link.shared_id:
        return None
    for key, value in later.scope.items():
        other = earlier.scope.get(key)
        if other is not None and other != value:
            return f"{later.label} takes {', '.join(link.values[:2])} from {earlier.label} on {key} {other}, but acts on {key} {value}"
    return None


def chain_problems(calls: Sequence[Call], strict: bool = False) -> list[ChainProblem]:
    """Why `calls` are not one task: a call (or group of calls) linked to none of the others, or
    linked calls that cross two records of one kind. [] for a coherent chain or a single step.
    `strict` counts no link by a container alone (the chain builder's own bar)."""
    steps = _steps(calls)
    if len(steps) < 2:
        return []
    problems: list[ChainProblem] = []
    parent = list(range(len(steps)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    weak_only: dict[int, list[str]] = {}
    for j, later in enumerate(steps):
        for i, earlier in enumerate(steps[:j]):
            link = _link(earlier, later)
            if link is not None and strict and not link.strong:
                link = None
            if link is None:
                sent = {_plain(v) for _, v in later.sent}
                container = [v for _, v, role in earlier.held if role == "reference" and _plain(v) in sent]
                if container:
                    weak_only.setdefault(j, []).append(f"{container[0]} with {earlier.label}")
                continue
            parent[root(j)] = root(i)
            crossed = _crossed(earlier, later, link)
            if crossed:
                problems.append(ChainProblem("crossed_entity", crossed))
    main = root(0)
    for j, step in enumerate(steps):
        if root(j) == main or any(root(k) == root(j) for k in range(j)):
            continue  # in the first call's group, or not the first of its own group
        said = ", ".join(f"{k} {v}" for k, v in step.sent[:3]) or "no values"
        days = sorted({d for _, v in step.sent if (d := day_of(v))})
        if j in weak_only and not days:
            reason = f"{step.label} shares only a container with the others ({'; '.join(weak_only[j][:2])})"
        elif j in weak_only:
            reason = (
                f"{step.label} is about {', '.join(days)}; it shares only a container "
                f"({'; '.join(weak_only[j][:2])}), and that call is about another day"
            )
        else:
            reason = f"{step.label} shares no entity or value with the other calls (it sends {said})"
        problems.append(ChainProblem("unrelated_call", reason))
    return problems
