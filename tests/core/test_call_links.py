"""The chain rule on the shapes the offline demo wrote (real example-server results): the two
unrelated chains it accepted are caught, each with its reason, and the coherent ones pass."""

from __future__ import annotations

from toolforge.core.call_links import Call, chain_problems

# find_free_slots on cal_team, then the event created on cal_home (a demo clarification row).
SLOTS_TEAM = Call(
    "find_free_slots",
    {"calendar_id": "cal_team", "day": "2026-03-17", "day_end_hour": 12},
    {"day": "2026-03-17", "slots": [{"start": "2026-03-17T09:00", "end": "2026-03-17T12:00"}]},
)
CREATED_HOME = Call(
    "create_event",
    {
        "allow_conflict": False,
        "calendar_id": "cal_home",
        "end": "2026-03-17T12:00",
        "start": "2026-03-17T09:00",
        "title": "Spring board meeting check",
    },
    {
        "id": "evt_0003",
        "calendar_id": "cal_home",
        "title": "Spring board meeting check",
        "start": "2026-03-17T09:00",
        "end": "2026-03-17T12:00",
        "location": "",
        "attendees": [],
        "status": "confirmed",
    },
)
# update_event (a 429, then the retry), then free slots on an unrelated day (a demo recovery row).
RENAMED = {
    "id": "evt_0001",
    "calendar_id": "cal_work",
    "title": "Final workshop review",
    "start": "2026-12-01T09:00",
    "end": "2026-12-01T10:00",
    "location": "Room 4",
    "attendees": ["ada@example.com", "grace@example.com"],
    "status": "confirmed",
}
UPDATE_THEN_SLOTS = [
    Call("update_event", {"event_id": "evt_0001", "title": "Final workshop review"}, None, is_error=True),
    Call("update_event", {"event_id": "evt_0001", "title": "Final workshop review"}, RENAMED),
    Call(
        "find_free_slots",
        {"calendar_id": "cal_work", "day": "2026-01-18", "day_start_hour": 8},
        {"day": "2026-01-18", "slots": [{"start": "2026-01-18T08:00", "end": "2026-01-18T17:00"}]},
    ),
]


def test_slots_found_on_one_calendar_and_booked_on_another_are_crossed() -> None:
    (problem,) = chain_problems([SLOTS_TEAM, CREATED_HOME])
    assert problem.code == "crossed_entity"
    assert "calendar_id cal_team" in problem.message and "calendar_id cal_home" in problem.message


def test_free_slots_on_a_day_unrelated_to_the_updated_event_are_unrelated() -> None:
    (problem,) = chain_problems(UPDATE_THEN_SLOTS)
    assert problem.code == "unrelated_call"
    assert "call 3 (find_free_slots)" in problem.message and "2026-01-18" in problem.message


def test_the_same_chains_made_coherent_pass() -> None:
    booked_team = Call(
        "create_event",
        {**CREATED_HOME.arguments, "calendar_id": "cal_team", "end": "2026-03-17T10:00"},
        {**CREATED_HOME.result, "calendar_id": "cal_team", "end": "2026-03-17T10:00"},
    )
    assert chain_problems([SLOTS_TEAM, booked_team]) == []
    same_day = Call(
        "find_free_slots",
        {"calendar_id": "cal_work", "day": "2026-12-01"},
        {"day": "2026-12-01", "slots": [{"start": "2026-12-01T10:00", "end": "2026-12-01T14:00"}]},
    )
    assert chain_problems([*UPDATE_THEN_SLOTS[:2], same_day]) == []


def test_the_reference_shop_episode_is_one_task() -> None:
    # get_customer and search_products share nothing; add_to_cart joins them, place_order follows
    cart = {
        "customer_id": "cus_ada",
        "lines": [{"product_id": "prd_lamp", "quantity": 2, "unit_price_cents": 2599}],
        "total_cents": 5198,
    }
    calls = [
        Call("get_customer", {"customer_id": "cus_ada"}, {"id": "cus_ada", "name": "Ada Lovelace"}),
        Call(
            "search_products", {"query": "lamp"}, {"products": [{"id": "prd_lamp", "name": "Desk lamp LED"}]}
        ),
        Call("add_to_cart", {"customer_id": "cus_ada", "product_id": "prd_lamp", "quantity": 2}, cart),
        Call("place_order", {"customer_id": "cus_ada"}, {"id": "ord_0001", "customer_id": "cus_ada"}),
    ]
    assert chain_problems(calls) == []
    (problem,) = chain_problems([*calls, Call("get_note", {"note_id": "note_0002"}, {"id": "note_0002"})])
    assert problem.code == "unrelated_call" and "call 5 (get_note)" in problem.message


def test_a_corrected_id_and_a_name_the_user_misremembered_are_one_task() -> None:
    wrong_id = [
        Call("get_note", {"note_id": "note_1030"}, None, is_error=True),
        Call("get_note", {"note_id": "note_0103"}, {"id": "note_0103", "title": "Garden"}),
        Call("tag_note", {"note_id": "note_0103", "tag": "home"}, {"id": "note_0103", "tags": ["home"]}),
    ]
    assert chain_problems(wrong_id) == []
    by_name = [
        Call("tag_note", {"note_id": "lisbon-trip", "tag": "travel"}, None, is_error=True),
        Call(
            "search_notes", {"query": "Lisbon trip"}, {"notes": [{"id": "note_0101", "title": "Lisbon trip"}]}
        ),
        Call(
            "tag_note", {"note_id": "note_0101", "tag": "travel"}, {"id": "note_0101", "title": "Lisbon trip"}
        ),
    ]
    assert chain_problems(by_name) == []


def test_acting_on_another_record_than_the_one_looked_up_is_crossed() -> None:
    # the lookup of ord_1 names ord_2 in passing; cancelling ord_2 mixes the two up
    calls = [
        Call(
            "get_order", {"order_id": "ord_1"}, {"id": "ord_1", "status": "pending", "same_items_as": "ord_2"}
        ),
        Call(
            "cancel_order",
            {"order_id": "ord_2", "reason": "changed_mind"},
            {"id": "ord_2", "status": "cancelled"},
        ),
    ]
    (problem,) = chain_problems(calls)
    assert problem.code == "crossed_entity" and "order_id ord_1" in problem.message


def test_one_step_and_its_retries_need_no_link() -> None:
    calls = [
        Call("search_notes", {"query": "Garden"}, None, is_error=True),
        Call("search_notes", {"query": "Garden"}, {"notes": [], "count": 0}),
    ]
    assert chain_problems(calls) == []


def test_the_builders_strict_bar_wants_more_than_a_shared_container() -> None:
    # shipping Grace's order, then viewing her cart: the judge lets it pass, the builder does not
    order = {"id": "ord_0901", "customer_id": "cus_grace", "status": "shipped"}
    calls = [
        Call("ship_order", {"order_id": "ord_0901"}, order),
        Call("view_cart", {"customer_id": "cus_grace"}, {"customer_id": "cus_grace", "lines": []}),
    ]
    assert chain_problems(calls) == []
    (problem,) = chain_problems(calls, strict=True)
    assert problem.code == "unrelated_call" and "call 2 (view_cart)" in problem.message


def test_a_reference_followed_to_its_record_is_a_strong_link() -> None:
    # an order names its product; reading that product is following the order, not a container
    order = {"id": "order_0001", "customer_id": "customer_0002", "product_id": "product_0001"}
    calls = [
        Call("get_order", {"order_id": "order_0001"}, order),
        Call("get_product", {"product_id": "product_0001"}, {"id": "product_0001", "name": "keyboard"}),
    ]
    assert chain_problems(calls, strict=True) == []
    # the product of an order line (an item without an id of its own) is its content, too
    lines = {"id": "ord_0901", "lines": [{"product_id": "prd_mug", "quantity": 2}]}
    mug = Call("search_products", {"query": "prd_mug"}, {"products": []})
    assert chain_problems([Call("get_order", {"order_id": "ord_0901"}, lines), mug], strict=True) == []
