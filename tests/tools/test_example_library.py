"""The library example server keeps real state: loans, holds and fines follow the library's rules,
errors name the fix, the state file persists and isolates, and a harvest over stdio sees every
tool with an output schema and annotations."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from mcp import Client

from examples.mcp_servers import library
from toolforge_testing.example_tools import call_tool as call
from toolforge_testing.example_tools import harvest_example_server

REPO = Path(__file__).resolve().parents[2]


async def test_checkout_return_fine_and_the_hold_queue(tmp_path: Path) -> None:
    state = tmp_path / "library.json"
    async with Client(library.build(state)) as c:
        err, loan = await call(
            c, "open_loan", {"member_id": "mem_priya", "book_id": "bk_cosmos", "loan_days": 14}
        )
        assert not err and loan["id"] == "loan_0001" and loan["due_on"] == "2026-03-30"
        assert (await call(c, "get_book", {"book_id": "bk_cosmos"}))[1]["copies_available"] == 1
        # Owen's loan came back 3 days late: a 75-cent fine, and the copy is kept for Kofi's hold.
        err, back = await call(c, "return_book", {"loan_id": "loan_0905"})
        assert not err and back["status"] == "returned" and back["fine_cents"] == 75
        owen = (await call(c, "get_member", {"member_id": "mem_owen"}))[1]
        assert owen["fines_due_cents"] == 750 + 75 and owen["loans_out"] == 0
        kofi = (await call(c, "get_member", {"member_id": "mem_kofi"}))[1]
        assert [(h["id"], h["status"]) for h in kofi["holds"]] == [("hold_0904", "ready")]
        book = (await call(c, "get_book", {"book_id": "bk_brief_history"}))[1]
        assert book["copies_available"] == 0 and book["holds_waiting"] == 0
        err, text = await call(c, "open_loan", {"member_id": "mem_tomas", "book_id": "bk_brief_history"})
        assert err and "place_hold" in text  # the one copy is Kofi's
        err, loan = await call(c, "open_loan", {"member_id": "mem_kofi", "book_id": "bk_brief_history"})
        assert not err and loan["id"] == "loan_0002"
        assert (await call(c, "get_member", {"member_id": "mem_kofi"}))[1]["holds"] == []
        err, hold = await call(c, "place_hold", {"member_id": "mem_owen", "book_id": "bk_hobbit"})
        assert not err and hold["id"] == "hold_0001" and hold["position"] == 3
        err, payment = await call(c, "pay_fine", {"fine_id": "fine_0901", "amount_cents": 500})
        assert not err and payment["still_due_cents"] == 250 and payment["status"] == "unpaid"
    saved = json.loads(state.read_text())
    assert (
        saved["loans"]["loan_0905"]["status"] == "returned"
        and saved["fines"]["fine_0901"]["paid_cents"] == 500
    )
    async with Client(library.build(state)) as c:  # a new process on the same file sees the same world
        assert (await call(c, "list_loans", {"member_id": "mem_priya"}))[1]["count"] == 1
        assert (await call(c, "get_book", {"book_id": "bk_cosmos"}))[1]["copies_available"] == 1
        past = (await call(c, "list_loans", {"member_id": "mem_priya", "status": "returned"}))[1]
        assert [x["id"] for x in past["loans"]] == ["loan_0909"]
    async with Client(library.build(tmp_path / "other.json")) as c:  # another file is another world
        assert (await call(c, "list_loans", {"member_id": "mem_priya"}))[1]["count"] == 0
        assert (await call(c, "get_book", {"book_id": "bk_cosmos"}))[1]["copies_available"] == 2


async def test_rules_fail_with_errors_that_name_the_fix() -> None:
    async with Client(library.build(None)) as c:
        err, text = await call(c, "open_loan", {"member_id": "mem_owen", "book_id": "bk_dune"})
        assert err and "$7.50" in text and "pay_fine" in text
        err, text = await call(c, "open_loan", {"member_id": "mem_lena", "book_id": "bk_dune"})
        assert err and "2 of 2" in text and "return_book" in text
        err, text = await call(c, "open_loan", {"member_id": "mem_priya", "book_id": "bk_sapiens"})
        assert err and "place_hold" in text
        err, text = await call(c, "open_loan", {"member_id": "mem_nadia", "book_id": "bk_dune"})
        assert err and "loan_0901" in text and "renew_loan" in text
        err, text = await call(c, "renew_loan", {"loan_id": "loan_0902"})
        assert err and "renewed 2 times" in text and "return_book by 2026-03-20" in text
        err, text = await call(c, "renew_loan", {"loan_id": "loan_0906"})
        assert err and "2 other member(s) are waiting" in text
        err, renewed = await call(c, "renew_loan", {"loan_id": "loan_0901"})
        assert not err and renewed["due_on"] == "2026-04-06" and renewed["renewals"] == 1
        err, text = await call(c, "place_hold", {"member_id": "mem_owen", "book_id": "bk_cosmos"})
        assert err and "open_loan instead" in text
        err, text = await call(c, "place_hold", {"member_id": "mem_nadia", "book_id": "bk_hobbit"})
        assert err and "hold_0902" in text
        err, text = await call(c, "pay_fine", {"fine_id": "fine_0903"})
        assert err and "already paid" in text
        err, text = await call(c, "pay_fine", {"fine_id": "fine_0904", "amount_cents": 999})
        assert err and "between 1 and 250" in text
        err, text = await call(c, "return_book", {"loan_id": "loan_0909"})
        assert err and "already returned on 2026-02-27" in text
        err, text = await call(c, "get_book", {"book_id": "bk_dun"})
        assert err and "search_books" in text
        err, text = await call(
            c,
            "suggest_purchase",
            {"member_id": "mem_kofi", "book_name": "dune", "author": "Frank Herbert", "comment": "x" * 30},
        )
        assert err and "bk_dune" in text
        err, text = await call(c, "cancel_hold", {"hold_id": "hold_0999"})
        assert err and "get_member" in text


async def test_search_cancel_a_hold_and_a_purchase_suggestion() -> None:
    async with Client(library.build(None)) as c:
        found = (await call(c, "search_books", {"subject": "science", "available_only": True}))[1]
        assert [b["id"] for b in found["books"]] == ["bk_cosmos"]
        assert (await call(c, "search_books", {"query": "TOLKIEN"}))[1]["books"][0]["holds_waiting"] == 2
        err, hold = await call(c, "cancel_hold", {"hold_id": "hold_0901"})
        assert not err and hold["status"] == "cancelled" and hold["position"] == 0
        nadia = (await call(c, "get_member", {"member_id": "mem_nadia"}))[1]
        assert [(h["id"], h["position"]) for h in nadia["holds"]] == [("hold_0902", 1)]
        comment = "Our book club reads it in May and the branch has no copy yet."
        err, sug = await call(
            c,
            "suggest_purchase",
            {"member_id": "mem_nadia", "book_name": "Braiding Sweetgrass", "author": "Robin Wall Kimmerer", "comment": comment},
        )  # fmt: skip
        assert not err and sug["id"] == "sug_0001" and sug["comment"] == comment
        err, text = await call(
            c,
            "suggest_purchase",
            {"member_id": "mem_nadia", "book_name": "X", "author": "Y", "comment": "short"},
        )
        assert err and "comment" in text
        due = (await call(c, "list_loans", {"member_id": "mem_nadia", "due_before": "2026-03-21"}))[1]
        assert [x["id"] for x in due["loans"]] == ["loan_0902"]
        err, text = await call(c, "list_loans", {"member_id": "mem_nadia", "due_before": "next week"})
        assert err and "ISO date" in text


def test_harvest_over_stdio_sees_every_tool_with_output_schema_and_annotations(tmp_path: Path) -> None:
    tools = list(asyncio.run(harvest_example_server("library", tmp_path)).values())
    assert {t.name for t in tools} == {
        "search_books", "get_book", "get_member", "list_loans", "open_loan", "return_book",
        "renew_loan", "place_hold", "cancel_hold", "pay_fine", "suggest_purchase",
    }  # fmt: skip
    for tool in tools:
        assert tool.output_schema and tool.output_schema.get("properties"), tool.name
        assert tool.raw is not None and tool.raw["annotations"]["readOnlyHint"] is not None, tool.name
    read_only = {t.name for t in tools if t.annotations.read_only}
    assert read_only == {"search_books", "get_book", "get_member", "list_loans"}
