"""Generated values mean what their field means: checked by parsing them, over many seeds."""

from __future__ import annotations

import random
import re
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest

from toolforge.core import wordbank
from toolforge.core.jsonschema_tools import instance_for
from toolforge.core.values import Hint, domain_of, number_value, statuses_for, string_value

REPO = Path(__file__).resolve().parents[2]
SEEDS = range(30)
FILLER = frozenset(
    "alfa bravo charlie foxtrot kilo lima oscar papa quebec romeo sierra tango whiskey xray yankee "
    "zulu lorem ipsum dolor amet consectetur adipiscing foo baz qux placeholder".split()
)


def _strings(name: str, schema: dict | None = None, entity: str = "", domain: str = "general") -> list[str]:
    return [string_value(schema or {}, random.Random(s), Hint(name, entity, domain)) for s in SEEDS]


@pytest.mark.parametrize("name", ["date", "day", "due", "deadline", "start_date", "created_on", "dueDate"])
def test_date_fields_are_iso_dates(name: str) -> None:
    for value in _strings(name):
        date.fromisoformat(value)


@pytest.mark.parametrize("name", ["created_at", "timestamp", "start", "end", "start_time", "updatedAt"])
def test_datetime_fields_are_iso_datetimes(name: str) -> None:
    for value in _strings(name):
        assert "T" in value
        datetime.fromisoformat(value)


def test_times_formats_and_descriptions() -> None:
    assert all(re.fullmatch(r"\d{2}:\d{2}", v) for v in _strings("opening_time"))
    assert all(re.fullmatch(r"\d{2}:\d{2}:\d{2}", v) for v in _strings("x", {"format": "time"}))
    for value in _strings("when_to_call", {"description": "the day, as YYYY-MM-DD"}):
        date.fromisoformat(value)
    for value in _strings("x", {"format": "date-time"}) + _strings("x", {"description": "ISO 8601 time"}):
        datetime.fromisoformat(value)
    for value in _strings("birthday"):
        assert 1950 <= date.fromisoformat(value).year <= 2005


def test_contact_and_place_fields() -> None:
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+@example\.com", v) for v in _strings("contact_email"))
    assert all(v.startswith("https://") for v in _strings("website") + _strings("callback_url"))
    assert all(re.fullmatch(r"\+1-555-01\d\d", v) for v in _strings("phone_number"))
    names = (
        _strings("customer_name")
        + _strings("owner")
        + _strings("assignee")
        + _strings("name", entity="patient")
    )
    first, last = set(wordbank.FIRST_NAMES), set(wordbank.LAST_NAMES)
    assert all(v.split()[0] in first and v.split()[-1] in last for v in names)
    assert set(_strings("currency")) <= set(wordbank.CURRENCIES)
    assert set(_strings("country")) <= {c for c, _ in wordbank.COUNTRIES}
    assert set(_strings("country_code")) <= {c for _, c in wordbank.COUNTRIES}
    assert set(_strings("city")) <= set(wordbank.CITIES)
    assert all(re.fullmatch(r"[a-z]+_\d{4}", v) and v.startswith("order_") for v in _strings("order_id"))


def test_statuses_follow_the_entity() -> None:
    assert set(_strings("status", entity="order")) <= set(statuses_for("order"))
    assert "placed" in statuses_for("order") and "open" in statuses_for("ticket")
    assert set(_strings("status", entity="widget")) <= {"active", "pending", "completed"}


def test_titles_and_notes_read_like_the_domain() -> None:
    assert domain_of("create_invoice Record a vendor invoice") == "finance"
    assert domain_of("book_flight") == "travel" and domain_of("zzz") == "general"
    subjects = wordbank.DOMAINS["finance"]["subjects"]
    for title in _strings("title", domain="finance"):
        assert title[0].isupper() and any(s in title for s in subjects) and 2 <= len(title.split()) <= 8
    for note in _strings("notes", domain="support"):
        assert note.endswith(".") and len(note.split()) >= 5
    # a shop's refund reason and a ticket's comment are the shop's and the desk's own words
    assert set(_strings("reason", domain="commerce")) <= set(wordbank.DOMAINS["commerce"]["reasons"])
    assert set(_strings("body", domain="support")) <= set(wordbank.DOMAINS["support"]["notes"])


def test_lengths_patterns_and_enums_hold() -> None:
    for value in _strings("notes", {"maxLength": 12}) + _strings("title", {"minLength": 60}):
        assert (len(value) <= 12) if len(value) < 60 else len(value) >= 60
    for pattern in (
        r"^[A-Z]{3}-\d{4}$",
        r"^\+?[1-9]\d{6,14}$",
        r"^(GET|POST)$",
        r"^[a-z0-9_-]{3,16}$",
        r"^\d{5}$",
    ):
        assert all(re.search(pattern, v) for v in _strings("code", {"pattern": pattern})), pattern
    schema = {"type": "object", "properties": {"status": {"enum": ["new", "done"]}}, "required": ["status"]}
    assert {instance_for(schema, random.Random(s))["status"] for s in SEEDS} <= {"new", "done"}


def test_paths_are_absolute_file_paths_that_fit_an_absolute_path_pattern() -> None:
    # A path pattern like the workspace server's must be met by a real-looking path, not by
    # characters sampled from the pattern ("/hR").
    for value in _strings("path", {"pattern": r"^/[^\s]*$"}) + _strings("file"):
        assert re.fullmatch(r"/documents/[a-z0-9-]+-\d\.md", value), value


def test_numbers_are_sensible_and_in_bounds() -> None:
    def draw(name: str, schema: dict, integer: bool) -> list[float]:
        return [number_value(schema, random.Random(s), Hint(name), integer=integer) for s in SEEDS]

    assert all(1 <= q <= 4 for q in draw("quantity", {}, True))
    assert all(5 <= p <= 480 and round(p, 2) == p for p in draw("unit_price", {"type": "number"}, False))
    assert all(500 <= p <= 48_000 for p in draw("price_cents", {}, True))
    assert all(p == 0 for p in draw("refunded_cents", {"minimum": 0}, True))
    assert all(10 <= p <= 12 for p in draw("unit_price", {"minimum": 10, "maximum": 12}, False))
    assert all(
        p % 5 == 0 and 5 <= p <= 40
        for p in draw("quantity", {"multipleOf": 5, "minimum": 5, "maximum": 40}, True)
    )
    assert all(0 < p < 1 for p in draw("discount_rate", {"exclusiveMinimum": 0, "maximum": 1}, False))
    assert set(draw("limit", {}, True)) <= {5, 10, 20, 25, 50}
    assert all(1 <= r <= 5 for r in draw("rating", {"maximum": 5}, False))


def test_values_are_deterministic_for_a_stream() -> None:
    schema = {"type": "object", "properties": {k: {"type": "string"} for k in ("title", "due_date", "email")}}
    assert instance_for(schema, random.Random(5), topic="invoice") == instance_for(
        schema, random.Random(5), topic="invoice"
    )
    assert len({str(instance_for(schema, random.Random(s), optional_p=1.0)) for s in SEEDS}) > 20


def test_generated_objects_hold_no_filler_and_validate() -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string", "format": "email"},
            "note": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}, "misc": {},
            "label": {"type": "string"}, "kind": {"type": "string"}, "x": {"type": "string"},
            "owner": {"type": "object", "properties": {"first_name": {"type": "string"}, "email": {"type": "string"}}},
        },
        "required": ["id", "name", "email", "note", "tags", "misc", "label", "kind", "x", "owner"],
    }  # fmt: skip
    check = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for seed in SEEDS:
        value = instance_for(schema, random.Random(seed), name="customer", topic="helpdesk ticket")
        check.validate(value)
        words = set(re.findall(r"[a-z]+", str(value).lower()))
        assert not words & FILLER, value
        assert (
            value["email"] == value["name"].lower().replace(" ", ".") + "@example.com"
        )  # a person's own address


def test_no_placeholder_vocabulary_is_left_in_the_code() -> None:
    banks = [v for k, v in vars(wordbank).items() if k.isupper()]
    text = str(banks).lower()
    assert not set(re.findall(r"[a-z]+", text)) & FILLER
    for folder in ("toolforge/core", "environments/episodes/executors"):
        for path in (REPO / folder).rglob("*.py"):
            source = path.read_text().lower()
            assert not re.search(r"\b(zulu|oscar|kilo|lorem)\b", source), path
