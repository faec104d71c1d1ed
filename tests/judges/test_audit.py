"""`judges.audit` over exported rows: the trajectory to follow passes every figure, the offline
demo's fails the ones it should, and one planted defect per figure trips exactly that figure.

The two reference trajectories are those of shared/reference/trajectory-quality.md, written as
`openai.jsonl` rows."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from judges.audit import (
    AuditReport,
    audit_jsonl,
    audit_rows,
    claims_success,
    is_date_text,
    mask,
    numbers_in,
    tool_kind,
)
from toolforge.cli import app
from toolforge.core.types import Message, Trajectory
from toolforge.export import ExportConfig, ExportFilter, ExportRecord, export_records
from toolforge.export.card import upsert_section

runner = CliRunner()

SYSTEM = (
    "You are the shop's assistant. You act only through your tools. Policies: look a customer or "
    "product up before acting on it; never guess an id; before anything that changes a cart or an "
    "order, say what you will do and wait for the customer's yes."
)


def _tool(name: str, description: str, **properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties},
        },
    }


TOOLS = [
    _tool("get_customer", "Get a customer's profile and store credit.", customer_id={"type": "string"}),
    _tool(
        "search_products",
        "Search the catalogue by words, price ceiling and availability.",
        query={"type": "string"},
    ),
    _tool(
        "add_to_cart",
        "Set the quantity of a product in the customer's cart (checks stock).",
        customer_id={"type": "string"},
        product_id={"type": "string"},
        quantity={"type": "integer"},
    ),
    _tool(
        "place_order",
        "Turn the customer's cart into an order, taking the items out of stock and emptying the cart.",
        customer_id={"type": "string"},
    ),
    _tool(
        "get_order", "Get one order with its lines, status and refunded amount.", order_id={"type": "string"}
    ),
]


def system(text: str = SYSTEM) -> dict[str, Any]:
    return {"role": "system", "content": text}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def say(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def call(call_id: str, name: str, text: str | None = None, **args: Any) -> dict[str, Any]:
    function = {"name": name, "arguments": json.dumps(args)}
    return {
        "role": "assistant",
        "content": text,
        "tool_calls": [{"id": call_id, "type": "function", "function": function}],
    }


def result(call_id: str, value: Any) -> dict[str, Any]:
    content = value if isinstance(value, str) else json.dumps(value)
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def row(row_id: str, messages: list[dict[str, Any]], domain: str = "shop") -> dict[str, Any]:
    return {"id": row_id, "messages": messages, "tools": TOOLS, "metadata": {"domain": domain}}


LINES = [{"product_id": "prd_lamp", "quantity": 2, "unit_price_cents": 2599}]
ORDER = {
    "id": "ord_0001",
    "customer_id": "cus_ada",
    "lines": LINES,
    "total_cents": 5198,
    "refunded_cents": 0,
    "status": "placed",
}


def to_follow(row_id: str = "follow") -> dict[str, Any]:
    """The trajectory to follow: ids from the user or from results, a confirmed write, a grounded reply."""
    return row(
        row_id,
        [
            system(),
            user("Hi! I need a couple of desk lamps for the new office, can you sort that out?"),
            say("Happy to help. What is your customer id?"),
            user("It's cus_ada."),
            call("c1", "get_customer", customer_id="cus_ada"),
            result(
                "c1", {"id": "cus_ada", "name": "Ada Lovelace", "email": "ada@example.com", "credit_cents": 0}
            ),
            call("c2", "search_products", query="lamp"),
            result(
                "c2",
                {
                    "products": [
                        {
                            "id": "prd_lamp",
                            "name": "Desk lamp LED",
                            "category": "home",
                            "price_cents": 2599,
                            "stock": 5,
                        }
                    ],
                    "count": 1,
                },
            ),
            say(
                "Thanks, Ada. The Desk lamp LED is $25.99 and 5 are in stock. To confirm: I'll put 2 in your "
                "cart ($51.98) and place the order. Shall I go ahead?"
            ),
            user("Yes please."),
            call("c3", "add_to_cart", customer_id="cus_ada", product_id="prd_lamp", quantity=2),
            result("c3", {"customer_id": "cus_ada", "lines": LINES, "total_cents": 5198}),
            call("c4", "place_order", customer_id="cus_ada"),
            result("c4", ORDER),
            say("Done: order ord_0001 for 2 Desk lamp LED, $51.98, is placed."),
            user("Great, thanks!"),
        ],
    )


def not_to_follow(customer: str = "customer_0002", order: str = "order_0004") -> dict[str, Any]:
    """What the offline demo writes: a pasted description, no confirmation, filler, a canned reply."""
    return row(
        f"demo-{customer}",
        [
            system(),
            user(
                "Hi! Could you help me turn the customer's cart into an order, taking the items out of "
                f"stock and emptying the cart? Here are the details — customer id: {customer}."
            ),
            call("c1", "place_order", "I'll set that up now.", customer_id=customer),
            result("c1", "Error: Service temporarily unavailable (503). Please retry."),
            call("c2", "place_order", customer_id=customer),
            result(
                "c2",
                {
                    "id": order,
                    "lines": [{"product_id": "oscar", "quantity": 27, "unit_price_cents": 93}],
                    "total_cents": 23,
                    "refunded_cents": 8,
                    "status": "zulu",
                },
            ),
            say("Done — place order: 1 found"),
        ],
    )


def missed(report: AuditReport) -> set[str]:
    return {f.name for f in report.failed}


def test_the_trajectory_to_follow_passes_every_figure() -> None:
    report = audit_rows([to_follow()])
    assert missed(report) == set()
    assert report.rows == 1 and report.rows_with_tool_calls == 1 and report.domains == {"shop": 1}
    counts = {f.name: (f.numerator, f.denominator) for f in report.figures}
    # Every figure measured something on this row, except those with nothing to measure.
    assert counts["description_echo"] == (0, 4)
    assert counts["ungrounded_call_ids"] == (0, 4)  # cus_ada ×3 and prd_lamp, all seen before
    assert counts["ungrounded_final"] == (0, 1)  # ord_0001 from a result, $51.98 as 5198 cents
    assert counts["final_uses_result"] == (1, 1)
    assert counts["filler_results"] == (0, 4)
    assert counts["unconfirmed_writes"] == (0, 2)  # one "yes" covers add_to_cart and place_order
    assert counts["success_after_error"] == (0, 0)


def test_the_demo_trajectory_misses_what_it_should() -> None:
    report = audit_rows([not_to_follow()])
    assert missed(report) == {"description_echo", "final_uses_result", "filler_results", "unconfirmed_writes"}
    filler = report.figure("filler_results")
    assert filler.numerator == 1 and "product_id='oscar'" in filler.examples[0]
    assert "status='zulu'" in filler.examples[0]
    assert "turn the customers cart into an" in report.figure("description_echo").examples[0]
    assert report.figure("unconfirmed_writes").numerator == 2  # the opening message is no confirmation


def test_demo_rows_are_one_template_once_ids_and_numbers_are_masked() -> None:
    rows = [not_to_follow(f"customer_{n:04d}", f"order_{n + 10:04d}") for n in range(1, 6)]
    report = audit_rows(rows)
    assert report.figure("distinct_openings").numerator == 1
    assert report.figure("distinct_finals").numerator == 1
    assert {"distinct_openings", "distinct_finals"} <= missed(report)
    # The good trajectory told by different customers stays distinct.
    assert mask("customer id: customer_0002, 27 items") == "customer id: <id>, <n> items"


def _replace(messages: list[dict[str, Any]], index: int, message: dict[str, Any]) -> list[dict[str, Any]]:
    out = copy.deepcopy(messages)
    out[index] = message
    return out


def _follow_messages() -> list[dict[str, Any]]:
    return to_follow()["messages"]


def _planted() -> dict[str, list[dict[str, Any]]]:
    """One row per figure, each the trajectory to follow with a single defect planted."""
    m = _follow_messages()
    return {
        "description_echo": _replace(
            m, 1, user("Hi! Can you set the quantity of a product in the customer's cart for desk lamps?")
        ),
        # The model invents the product id instead of reading it from the search result.
        "ungrounded_call_ids": _replace(
            m, 10, call("c3", "add_to_cart", customer_id="cus_ada", product_id="prd_lamp_v2", quantity=2)
        ),
        # A delivery date nobody gave: 2 unseen numbers in the reply.
        "ungrounded_final": _replace(
            m, 14, say("Done: order ord_0001 for 2 Desk lamp LED, $51.98, arrives on 14.03.")
        ),
        "final_uses_result": _replace(m, 14, say("All done, enjoy your new lamps!")),
        "filler_results": _replace(
            m,
            5,
            result(
                "c1", {"id": "cus_ada", "name": "Ada Lovelace", "email": "ada@example.com", "tier": "zulu_3"}
            ),
        ),
        "bad_dates": _replace(m, 13, result("c4", {**ORDER, "created_at": "soon"})),
        "reread_mismatch": [
            *m[:6],
            call("c5", "get_customer", customer_id="cus_ada"),
            result(
                "c5", {"id": "cus_ada", "name": "Ada King", "email": "ada@example.com", "credit_cents": 0}
            ),
            *m[6:],
        ],
        # The assistant asks, but the write goes out on an answer that is not a yes.
        "unconfirmed_writes": _replace(m, 9, user("Hmm, what colours does it come in?")),
        "success_after_error": [
            *m[:12],
            call("c4", "place_order", customer_id="cus_ada"),
            result("c4", {"error": "payment declined for cus_ada"}),
            say("Done: your order for 2 Desk lamp LED, $51.98, is placed."),
            user("Great, thanks!"),
        ],
    }


@pytest.mark.parametrize("figure", sorted(_planted()))
def test_each_planted_defect_trips_exactly_its_figure(figure: str) -> None:
    report = audit_rows([row(f"planted-{figure}", _planted()[figure])])
    assert missed(report) == {figure}, [(f.name, f.examples) for f in report.failed]
    assert report.figure(figure).examples, "a miss names an example"


def test_description_echo_needs_six_consecutive_words() -> None:
    # "Set the quantity of a product in the customer's cart" is add_to_cart's description.
    six = _replace(_follow_messages(), 1, user("Please set the quantity of a product: two desk lamps."))
    five = _replace(_follow_messages(), 1, user("Please set the quantity of a lamp to two, for the office."))
    assert audit_rows([row("six", six)]).figure("description_echo").numerator == 1
    assert audit_rows([row("five", five)]).figure("description_echo").numerator == 0


def test_distinct_openings_and_finals_are_measured_separately() -> None:
    first, second = to_follow("a"), to_follow("b")
    second["messages"][-2] = say("Your order ord_0001 is placed: 2 Desk lamp LED for $51.98. Anything else?")
    assert missed(audit_rows([first, second])) == {"distinct_openings"}
    second = to_follow("b")
    second["messages"][1] = user("Hello, our team moved offices and we need two lamps for the desks.")
    assert missed(audit_rows([first, second])) == {"distinct_finals"}


NAMES = "Ada Grace Alan Edsger Barbara Donald Frances Ken Margaret Niklaus John Radia Tim".split()


def test_bars_allow_a_small_share_of_misses() -> None:
    # One unseen id among 4 × 13 call arguments is 1.9%, under the 2% bar; among 4 it is not.
    rows = [to_follow(name) for name in NAMES]
    for name, r in zip(NAMES, rows, strict=True):
        # Distinct words, not distinct numbers: masking would fold numbers into one template.
        r["messages"][1] = user(f"Hi, {name} here! I need desk lamps for the new office, can you help?")
        r["messages"][-2] = say(f"Done, {name}: order ord_0001 for 2 Desk lamp LED, $51.98, is placed.")
    rows[0]["messages"][10] = call(
        "c3", "add_to_cart", customer_id="cus_ada", product_id="prd_x9", quantity=2
    )
    report = audit_rows(rows)
    ids = report.figure("ungrounded_call_ids")
    assert (ids.numerator, ids.denominator, ids.passed) == (1, 52, True)
    assert missed(report) == set()
    assert not audit_rows(rows[:1]).figure("ungrounded_call_ids").passed


def test_confirmation_rules() -> None:
    m = _follow_messages()
    # No question before the yes: a "yes" to nothing confirms nothing.
    no_question = _replace(
        m, 8, say("The Desk lamp LED is $25.99. I'll put 2 in your cart and place the order.")
    )
    assert audit_rows([row("q", no_question)]).figure("unconfirmed_writes").numerator == 2
    # A new user turn ends the confirmation's cover: the second write needs its own yes.
    split = [*m[:12], user("Oh, and can you place it now?"), *m[12:]]
    assert audit_rows([row("s", split)]).figure("unconfirmed_writes").numerator == 1
    # No confirmation policy in the system prompt: writes are not measured.
    relaxed = _replace(m, 0, system("You are the shop's assistant."))
    assert (
        audit_rows([row("r", _replace(relaxed, 9, user("What colours?")))])
        .figure("unconfirmed_writes")
        .denominator
        == 0
    )


@pytest.mark.parametrize(
    ("answer", "confirms"),
    [
        ("Yes please.", True),
        ("Sure, go ahead", True),
        ("ok", True),
        ("I'm not sure, is it dimmable?", False),
        ("No, just one.", False),
        ("Sure, but don't order yet", False),
        ("It's cus_ada.", False),
    ],
)
def test_what_counts_as_a_yes(answer: str, confirms: bool) -> None:
    m = _replace(_follow_messages(), 9, user(answer))
    assert audit_rows([row("y", m)]).figure("unconfirmed_writes").numerator == (0 if confirms else 2)


def test_numbers_and_claims_in_text() -> None:
    # Ids are not numbers, whichever is a prefix of the other; list markers are not numbers either.
    assert numbers_in("1. ord_1 and ord_123 cost 12.50 (1,299 in all)\n10. done") == ["12.50", "1299"]
    assert claims_success("I’ve placed the order.") and claims_success("All set!")
    assert not claims_success("That couldn’t go through, I’ll retry.")
    assert not claims_success("Shall I post the reply “All set, it has been fixed.” on tkt_0101?")


def test_rereads_after_a_write_may_differ() -> None:
    m = _follow_messages()
    reread = [
        *m[:6],
        call("c9", "add_to_cart", customer_id="cus_ada", product_id="prd_lamp", quantity=1),
        result("c9", {"customer_id": "cus_ada", "lines": [], "total_cents": 0}),
        call("c5", "get_customer", customer_id="cus_ada"),
        result("c5", {"id": "cus_ada", "name": "Ada King", "email": "ada@example.com", "credit_cents": 0}),
    ]
    figure = audit_rows([row("w", reread)]).figure("reread_mismatch")
    assert (figure.numerator, figure.denominator) == (0, 0)
    assert tool_kind("list_open_tickets") == "read" and tool_kind("add_to_cart") == "write"
    assert tool_kind("calculate_tax") == "other"
    assert tool_kind("tag_note") == "write" and tool_kind("append_to_note") == "write"


def test_success_claims_are_told_from_admitted_failures() -> None:
    m = _follow_messages()
    admitted = [
        *m[:12],
        call("c4", "place_order", customer_id="cus_ada"),
        result("c4", "Error: payment declined"),
        say("Sorry, the order could not be placed: the payment was declined. Want to try another card?"),
    ]
    figure = audit_rows([row("e", admitted)]).figure("success_after_error")
    assert (figure.numerator, figure.denominator) == (0, 1)


@pytest.mark.parametrize(
    ("value", "is_date"),
    [
        ("2026-12-01", True),
        ("2026-12-01T09:00:00Z", True),
        ("09:30", True),
        ("3pm", True),
        ("May 1st, 2026", True),
        ("next Monday", True),
        ("2026-12-01 to 2026-12-03", True),
        ("soon", False),
        ("3-5 business days", False),
        ("cus_ada", False),
    ],
)
def test_date_values(value: str, is_date: bool) -> None:
    assert is_date_text(value) is is_date


def test_date_fields_by_name_and_value() -> None:
    fields = {
        "created_at": 1767225600,  # a unix time: fine under _at
        "start_page": 3,  # a count under a date word: not measured
        "end_reason": "cancelled",  # a string under a date word: measured, not a date
        "due_date": 20261201,  # a number where a date is named: not a date
        "timezone": "UTC",  # no date word
        "vendor": "Acme",  # "end" inside a word is no date word
        "active": True,
    }
    m = _replace(_follow_messages(), 13, result("c4", {**ORDER, **fields}))
    figure = audit_rows([row("d", m)]).figure("bad_dates")
    assert (figure.numerator, figure.denominator) == (2, 3)
    assert any("end_reason" in e for e in figure.examples) and any("due_date" in e for e in figure.examples)


def test_filler_counts_whole_values_only() -> None:
    value = {"name": "Delta faucet", "city": "Lima, Peru", "note": "Lorem ipsum dolor sit amet"}
    m = _replace(_follow_messages(), 5, result("c1", value))
    figure = audit_rows([row("f", m)]).figure("filler_results")
    assert figure.numerator == 1 and "Lorem" in figure.examples[0] and "Delta" not in figure.examples[0]


def test_bad_lines_are_reported_with_their_number_and_skipped() -> None:
    text = "\n".join([json.dumps(to_follow()), "{not json", json.dumps({"id": "x"}), ""])
    report = audit_jsonl(text)
    assert report.rows == 1
    assert [b.line for b in report.bad_lines] == [2, 3]
    assert "unreadable" in report.markdown()


def test_the_report_renders_as_a_card_section() -> None:
    section = audit_rows([not_to_follow()]).markdown()
    assert section.startswith("## Audit\n")
    assert "| tool results with filler values | 1 | 2 | 50.00% | none | **miss** |" in section
    assert "Examples for *tool results with filler values*" in section
    assert section.count("\n## ") == 0  # one section: nothing below it is swallowed on replace


# --- the command and the export hook -------------------------------------------------------------


def _export(out: Path, rows: list[dict[str, Any]]) -> None:
    """Export `rows` through the real exporter, as `toolforge export` and the pipeline do."""
    records = [
        ExportRecord(
            trajectory=Trajectory(
                task_id=r["id"],
                agent_id="shop-agent",
                attempt=0,
                messages=[Message.model_validate(m) for m in r["messages"]],
                tools=r["tools"],
                end_reason="user_stop",
            )
        )
        for r in rows
    ]
    cfg = ExportConfig(formats=["openai", "k2"], filter=ExportFilter(accepted_only=False))
    export_records(records, out, cfg)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_export_puts_the_audit_into_its_card(tmp_path: Path) -> None:
    _export(tmp_path, [not_to_follow()])
    card = (tmp_path / "README.md").read_text()
    assert card.count("## Audit") == 1
    assert card.index("## Scores") < card.index("## Audit") < card.index("## Domains")
    assert "| tool results with filler values | 1 | 2 | 50.00% | none | **miss** |" in card
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert {f["name"] for f in stats["audit"]["figures"] if not f["passed"]} == missed(
        audit_rows([not_to_follow()])
    )


def test_audit_command_writes_json_and_card_and_checks_bars(tmp_path: Path) -> None:
    bad, good = tmp_path / "bad", tmp_path / "good"
    _export(bad, [not_to_follow()])
    _export(good, [to_follow()])
    card_before = (bad / "README.md").read_text()

    plain = runner.invoke(app, ["audit", str(bad)])
    assert plain.exit_code == 0, plain.output  # without --check a miss is reported, not an error
    checked = runner.invoke(app, ["audit", str(bad), "--check"])
    assert checked.exit_code == 1
    assert "missed: description_echo, final_uses_result, filler_results, unconfirmed_writes" in _flat(
        checked.output
    )
    saved = json.loads((bad / "audit.json").read_text())
    assert saved["rows"] == 1 and saved["domains"] == {}
    assert {f["name"]: f["passed"] for f in saved["figures"]}["filler_results"] is False
    # The section is replaced in place, the rest of the card kept as it was.
    card = (bad / "README.md").read_text()
    assert card == card_before and card.count("## Audit") == 1

    ok = runner.invoke(app, ["audit", str(good), "--check"])
    assert ok.exit_code == 0, ok.output
    assert "11 of 11 bars held" in _flat(ok.output)


def test_audit_command_on_a_bare_folder_and_bad_lines(tmp_path: Path) -> None:
    lines = [json.dumps(to_follow()), "{oops", json.dumps(not_to_follow())]
    (tmp_path / "openai.jsonl").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["audit", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'openai.jsonl'}:2:" in _flat(result.output)
    saved = json.loads((tmp_path / "audit.json").read_text())
    assert saved["rows"] == 2 and [b["line"] for b in saved["bad_lines"]] == [2]
    card = (tmp_path / "README.md").read_text()  # no card yet: one is started with the section
    assert card.startswith("## Audit\n") and "1 unreadable line(s) skipped" in card


def test_audit_command_names_the_fix_when_there_is_nothing_to_audit(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["audit", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "run `toolforge export" in _flat(missing.output)
    empty = runner.invoke(app, ["audit", str(tmp_path)])
    assert empty.exit_code == 2 and "has no openai.jsonl" in _flat(empty.output)
    assert not (tmp_path / "audit.json").exists()


def test_audit_command_finds_the_one_run_inside_a_workspace_dataset_folder(tmp_path: Path) -> None:
    # `toolforge generate` writes <workspace>/dataset/<run name>/: the parent is audited as the run
    parent = tmp_path / "dataset"
    _export(parent / "demo", [to_follow()])
    found = runner.invoke(app, ["audit", str(parent), "--check"])
    assert found.exit_code == 0, found.output
    assert (parent / "demo" / "audit.json").is_file() and not (parent / "audit.json").exists()
    _export(parent / "other", [to_follow()])
    several = runner.invoke(app, ["audit", str(parent)])
    assert several.exit_code == 2 and "several datasets (demo, other)" in _flat(several.output)


def test_upsert_section_replaces_only_its_own_section() -> None:
    card = "# d\n\n## Audit\n\nold\n\n## Files\n\n```\n## not a heading\n```\n"
    new = upsert_section(card, "## Audit\n\nnew")
    assert new == "# d\n\n## Audit\n\nnew\n\n## Files\n\n```\n## not a heading\n```\n"
    assert upsert_section("# d\n", "## Audit\n\nx") == "# d\n\n## Audit\n\nx\n"
