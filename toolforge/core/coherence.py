"""Fields of one record that must agree with each other, made to agree.

`reconcile` does the arithmetic: a line's total is its quantity × unit price, a record's subtotal
and total are the sum of its lines (plus tax, shipping and fees, less discounts), a count is the
length of the list it counts. `order_times` puts an end after its start and an update after its
creation; `match_email` gives a person the address their name makes. Both change a field only where the record's schema allows the new value, so a value that
validated still validates.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from toolforge.core.values import email_for, singular, word_set, words

_QTY = frozenset({"quantity", "qty", "units"})
_PRICE = frozenset({"price", "cost", "rate", "fare"})
_TOTAL = frozenset({"total", "subtotal", "amount", "extended"})
_ADD = frozenset({"tax", "shipping", "fee", "fees", "tip", "service", "delivery", "handling", "vat"})
_LESS = frozenset({"discount"})
_NOT_MONEY = frozenset({"count", "rate", "percent", "pct", "percentage", "items", "quantity", "qty"})
# start-like and end-like last words, paired by the words before them (`check_in` / `check_out`).
_STARTS = {
    "start": "end",
    "starts": "ends",
    "begin": "end",
    "from": "to",
    "checkin": "checkout",
    "departure": "arrival",
}
_STARTS |= {"created": "updated", "in": "out", "opened": "closed"}


def reconcile(record: dict[str, Any], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """`record` with its derived numbers recomputed (in place, and returned)."""
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    for key, value in record.items():  # nested records first: a line's total before the order's
        sub = props.get(key) if isinstance(props.get(key), dict) else None
        if isinstance(value, dict):
            reconcile(value, sub)
        elif isinstance(value, list):
            items = sub.get("items") if isinstance(sub, dict) else None
            for item in value:
                if isinstance(item, dict):
                    reconcile(item, items if isinstance(items, dict) else None)
    _line_total(record, props)
    _record_totals(record, props)
    _counts(record, props)
    return record


def _scale(key: str) -> int:
    return 100 if "cents" in words(key) else 1


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _key(record: dict[str, Any], want: frozenset[str], avoid: frozenset[str] = frozenset()) -> str | None:
    for key, value in record.items():
        ws = word_set(key)
        if ws & want and not ws & avoid and _is_number(value):
            return key
    return None


def _unit_price_key(record: dict[str, Any]) -> str | None:
    for key, value in record.items():
        ws = word_set(key)
        unit_amount = "unit" in ws and ws & {"amount", "cost", "price"}
        if (ws & _PRICE or unit_amount) and not ws & (_TOTAL - {"amount"}) and _is_number(value):
            if not ws & {"percent", "pct", "tax", "discount", "exchange", "interest"}:
                return key
    return None


def _line_total(line: dict[str, Any], props: dict[str, Any]) -> None:
    qty, price = _key(line, _QTY), _unit_price_key(line)
    if qty is None or price is None:
        return
    total = _key(line, _TOTAL, _NOT_MONEY | {"unit"})
    if total is not None:
        _set(line, total, line[qty] * line[price] / _scale(price), props)


def _line_value(line: dict[str, Any]) -> float | None:
    """A line's worth in whole currency units: its own total, else quantity × unit price."""
    total = _key(line, _TOTAL, _NOT_MONEY | {"unit"})
    if total is not None:
        return float(line[total]) / _scale(total)
    qty, price = _key(line, _QTY), _unit_price_key(line)
    if qty is not None and price is not None:
        return float(line[qty] * line[price]) / _scale(price)
    return None


def _record_totals(record: dict[str, Any], props: dict[str, Any]) -> None:
    sums = []
    for value in record.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines = [_line_value(v) for v in value]
            if all(x is not None for x in lines):
                sums.append(sum(x for x in lines if x is not None))
    if len(sums) != 1:
        return  # no line list, or several: nothing says which one the total adds up
    items = sums[0]
    adds = less = 0.0
    for key, value in record.items():
        ws = word_set(key)
        if not _is_number(value) or ws & {"rate", "percent", "pct", "total", "subtotal"}:
            continue
        if ws & _ADD:
            adds += value / _scale(key)
        elif ws & _LESS:
            less += value / _scale(key)
    for key in list(record):
        ws = word_set(key)
        if not _is_number(record[key]) or ws & _NOT_MONEY or ws & _ADD - {"service"} or ws & _LESS:
            continue
        if "subtotal" in ws:
            _set(record, key, items, props)
        elif "total" in ws or (ws & {"amount"} and ws & {"due", "total"}):
            _set(record, key, items + adds - less, props)


_COUNT_WORDS = frozenset({"count", "num", "n", "number", "of", "total"})
# Count fields that name no list: they count the record's one list, if it has exactly one.
_GENERIC_COUNTS = {
    ("count",), ("total", "count"), ("num", "results"), ("result", "count"), ("total", "results"),
    ("item", "count"), ("num", "items"), ("total", "items"), ("number", "of", "results"),
}  # fmt: skip


def _counts(record: dict[str, Any], props: dict[str, Any]) -> None:
    lists = {k: v for k, v in record.items() if isinstance(v, list)}
    if not lists:
        return
    for key, value in list(record.items()):
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        ws = words(key)
        is_count = "count" in ws or ws[:1] in (["num"], ["n"]) or ws[:2] == ["number", "of"]
        is_count |= len(ws) > 1 and ws[0] == "total" and ws[-1].endswith("s")
        if not is_count:
            continue
        nouns = {singular(w) for w in ws} - _COUNT_WORDS
        named = [k for k in lists if {singular(w) for w in word_set(k)} & nouns]
        if named:
            _set(record, key, len(lists[named[0]]), props)
        elif tuple(ws) in _GENERIC_COUNTS and len(lists) == 1:
            _set(record, key, len(next(iter(lists.values()))), props)


def _set(record: dict[str, Any], key: str, whole_units: float, props: dict[str, Any]) -> None:
    """Write a computed amount in the field's own unit (cents or whole), if its schema allows it."""
    scaled = whole_units * _scale(key)
    old = record[key]
    field = props.get(key)
    sub: dict[str, Any] = field if isinstance(field, dict) else {}
    value: float = float(round(scaled, 2))
    if sub.get("type") == "integer" or _scale(key) > 1 or (isinstance(old, int) and value.is_integer()):
        value = int(round(scaled))
    if allows(sub, value):
        record[key] = value


def allows(schema: dict[str, Any], value: float) -> bool:
    """Whether a number meets a schema's numeric keywords (type, bounds, multipleOf, enum, const)."""
    if "const" in schema:
        return bool(schema["const"] == value)
    if "enum" in schema:
        return value in schema["enum"]
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if kinds and "number" not in kinds and not ("integer" in kinds and float(value).is_integer()):
        return False
    if value < schema.get("minimum", -math.inf) or value > schema.get("maximum", math.inf):
        return False
    if value <= schema.get("exclusiveMinimum", -math.inf) or value >= schema.get(
        "exclusiveMaximum", math.inf
    ):
        return False
    step = schema.get("multipleOf")
    return not step or abs(value / step - round(value / step)) < 1e-9


def match_email(person: dict[str, Any], props: dict[str, Any]) -> None:
    """A person's email made of their name (where the email's schema leaves it free)."""
    parts = [person.get("first_name"), person.get("last_name")]
    name = person.get("name") or person.get("full_name") or " ".join(p for p in parts if isinstance(p, str))
    sub = props.get("email")
    if isinstance(name, str) and name and isinstance(person.get("email"), str) and isinstance(sub, dict):
        if not {"pattern", "maxLength", "enum", "const"} & sub.keys():
            person["email"] = email_for(name)


# ---- times --------------------------------------------------------------------------------------


def order_times(record: dict[str, Any], mutable: set[str] | None = None) -> dict[str, Any]:
    """An end before its start is moved after it (an hour, or a day for dates); only the keys in
    `mutable` (all when None) are changed, so values a caller sent are never rewritten."""
    for key in list(record):
        ws = words(key)
        for i, w in enumerate(ws):
            if w not in _STARTS:
                continue
            pair = "_".join([*ws[:i], _STARTS[w], *ws[i + 1 :]])
            other = next((k for k in record if "_".join(words(k)) == pair), None)
            if other is None or (mutable is not None and other not in mutable):
                continue
            moved = _after(record[key], record[other])
            if moved is not None:
                record[other] = moved
    return record


def _after(start: Any, end: Any) -> str | None:
    """`end` moved past `start` when both are ISO dates or times of the same shape and it is not."""
    if not isinstance(start, str) or not isinstance(end, str) or len(start) != len(end):
        return None
    try:
        if len(start) == 10:
            a, b = date.fromisoformat(start), date.fromisoformat(end)
            return (a + timedelta(days=1)).isoformat() if b <= a else None
        da, db = datetime.fromisoformat(start), datetime.fromisoformat(end)
    except ValueError:
        return None
    if db > da:
        return None
    moved = (da + timedelta(hours=1)).isoformat()
    if start.endswith("Z"):
        moved = moved.replace("+00:00", "") + "Z"
    return moved[: len(start)] if len(moved) >= len(start) else None
