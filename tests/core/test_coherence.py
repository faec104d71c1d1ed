"""Derived fields of a record agree: line totals, sums with tax and discount, counts, time order."""

from __future__ import annotations

from toolforge.core.coherence import match_email, order_times, reconcile


def test_line_and_order_totals_add_up_across_units() -> None:
    order = {
        "lines": [
            {"product_id": "p1", "quantity": 2, "unit_price_cents": 2599, "line_total_cents": 1},
            {"product_id": "p2", "quantity": 1, "unit_price_cents": 1000, "line_total_cents": 7},
        ],
        "subtotal": 0.0,
        "tax": 3.0,
        "shipping_fee": 4.5,
        "discount": 1.25,
        "total_cents": 23,
        "item_count": 9,
    }
    reconcile(order)
    assert [x["line_total_cents"] for x in order["lines"]] == [5198, 1000]
    assert order["subtotal"] == 61.98
    assert order["total_cents"] == 6198 + 300 + 450 - 125
    assert order["item_count"] == 2


def test_a_single_product_record_multiplies_and_schemas_are_respected() -> None:
    record = {"quantity": 3, "price": 19.99, "total": 0}
    assert reconcile(record)["total"] == 59.97
    capped = {"quantity": 3, "price": 19.99, "total": 1}
    schema = {"properties": {"total": {"type": "number", "maximum": 50}}}
    assert reconcile(capped, schema)["total"] == 1  # 59.97 would not validate: left as it was
    whole = {"quantity": 3, "unit_price": 2.5, "total": 0}
    assert reconcile(whole, {"properties": {"total": {"type": "integer"}}})["total"] == 8


def test_counts_follow_the_list_they_name() -> None:
    listing = {"tickets": [{"id": "a"}, {"id": "b"}], "ticket_count": 0, "view_count": 120}
    reconcile(listing)
    assert listing["ticket_count"] == 2 and listing["view_count"] == 120


def test_ends_come_after_starts_only_where_allowed() -> None:
    event = {
        "start": "2026-05-04T10:00:00Z",
        "end": "2026-05-04T09:00:00Z",
        "check_in": "2026-05-04",
        "check_out": "2026-05-01",
    }
    order_times(event)
    assert event["end"] == "2026-05-04T11:00:00Z" and event["check_out"] == "2026-05-05"
    sent = {"start": "2026-05-04T10:00", "end": "2026-05-04T09:00"}
    assert order_times(dict(sent), mutable=set()) == sent  # values a caller sent are not rewritten
    assert (
        order_times({"created_at": "2026-01-02T08:00:00Z", "updated_at": "2025-12-01T08:00:00Z"})[
            "updated_at"
        ]
        == "2026-01-02T09:00:00Z"
    )


def test_a_person_gets_the_address_their_name_makes() -> None:
    person = {"name": "Ada Lovelace", "email": "someone@example.com"}
    match_email(person, {"email": {"type": "string"}})
    assert person["email"] == "ada.lovelace@example.com"
    fixed = {"name": "Ada Lovelace", "email": "a@b.co"}
    match_email(fixed, {"email": {"type": "string", "pattern": "^a@"}})
    assert fixed["email"] == "a@b.co"
