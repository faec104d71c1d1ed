"""The grounding check and the confirmation rule on the shop episode of trajectory-quality.md: the
episode to follow passes every check, each defective variant fails with its own code."""

from __future__ import annotations

import re

import pytest
import shop_episode as shop

from judges import GroundingConfig, Judge, JudgeConfig, RulesConfig, check_grounding, check_rules
from judges.config import CHECK_ORDER
from judges.confirmation import is_affirmative, is_write, requires_confirmation
from judges.grounding import claims_success
from toolforge.core.types import Message, Rubric, Task, Trajectory, UserGoal


def codes(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [v["code"] for v in result.details["violations"]]


def grounding(traj: Trajectory, **cfg: object) -> list[str]:
    return codes(check_grounding(traj, None, GroundingConfig(**cfg)))  # type: ignore[arg-type]


def rules(traj: Trajectory) -> list[str]:
    return codes(check_rules(traj, None, RulesConfig()))


def task() -> Task:
    return Task(
        agent_id="agent_shop",
        user_goal=UserGoal(description="Order two desk lamps", known_facts={"customer_id": "cus_ada"}),
        difficulty="multi_call",
        rubric=Rubric(success_criteria=["an order for 2 prd_lamp is placed"]),
        source="template",
    )


def judge(**cfg: object) -> Judge:
    return Judge(JudgeConfig.model_validate({"rubric": {"enabled": False}, **cfg}))


# --- the episode to follow and its defects ---------------------------------------------------


def test_grounding_runs_right_after_rules_and_is_required_by_default() -> None:
    assert CHECK_ORDER[:2] == ("rules", "grounding")
    assert "grounding" in JudgeConfig().required
    assert JudgeConfig().grounding.enabled


async def test_the_episode_to_follow_passes_every_check() -> None:
    traj = shop.good()
    ground = check_grounding(traj, None, GroundingConfig())
    assert ground.passed and ground.score == 1.0 and ground.details["violations"] == [], ground.reason
    assert rules(traj) == []
    verdict = await judge().judge(traj, task())
    assert verdict.accepted and [c.check for c in verdict.checks] == ["rules", "grounding", "state"]


@pytest.mark.parametrize("name", sorted(shop.defects()))
async def test_each_defect_is_rejected_with_its_code(name: str) -> None:
    traj, check, code = shop.defects()[name]
    result = (
        check_grounding(traj, None, GroundingConfig())
        if check == "grounding"
        else check_rules(traj, None, RulesConfig())
    )
    assert not result.passed and result.score < 1.0
    assert code in codes(result), result.reason
    message = next(v["message"] for v in result.details["violations"] if v["code"] == code)
    assert re.match(r"message \d+: ", message), message  # the reason names where
    verdict = await judge().judge(traj, task())
    assert not verdict.accepted
    # every check runs: the defect's own check fails, whatever else fails too
    verdict = await judge(short_circuit=False).judge(traj, task())
    assert not verdict.accepted and check in verdict.failed_checks()


def test_the_reasons_name_the_message_and_the_value() -> None:
    defects = shop.defects()
    invented = check_grounding(defects["invented_result"][0], None, GroundingConfig()).reason
    assert invented.startswith("message 2: states 'ord_0007'") and "'51.98'" in invented
    assert "'March 3'" in invented and "before any tool returned a result" in invented
    ungrounded = check_grounding(defects["ungrounded_value"][0], None, GroundingConfig()).reason
    assert ungrounded == (
        "message 14: states '54.98', found in no user turn, system prompt or earlier tool result"
    )
    guessed = check_grounding(defects["guessed_id"][0], None, GroundingConfig()).reason
    assert guessed.startswith("message 2: get_customer is sent customer_id='cus_ada'")
    pasted = check_grounding(defects["description_in_user_turn"][0], None, GroundingConfig()).reason
    assert pasted.startswith("message 1: the user repeats the description of place_order")
    unconfirmed = check_rules(defects["write_without_confirmation"][0], None, RulesConfig())
    assert [v["message"][:32] for v in unconfirmed.details["violations"]] == [
        "message 8: add_to_cart changes t",
        "message 10: place_order changes ",
    ]


# --- values: grounded in another form, or not grounded at all --------------------------------


def _reply_after(
    result: object, reply: str, opening: str = "Hi, I'm cus_ada. When does my order ord_0001 ship?"
) -> Trajectory:
    return shop.trajectory(
        shop.user(opening),
        shop.call("c1", "get_order", order_id="ord_0001"),
        shop.result("c1", result),
        shop.say(reply),
        shop.THANKS,
    )


SHIPPING = {"id": "ord_0001", "total_cents": 5198, "status": "placed", "ships_at": "2025-03-14T10:30:00Z"}


@pytest.mark.parametrize(
    "reply",
    [
        "Order ord_0001 ships on 2025-03-14 at 10:30; the total is $51.98.",
        "Order ord_0001 ships on March 14, 2025 at 10:30 AM, total 51.98 dollars.",
        "It ships on 14 March at 10:30. Total: 5198 cents.",
        "Your order is placed and ships 03/14/2025; you paid $51.98.",
    ],
)
def test_amounts_and_dates_in_another_form_are_grounded(reply: str) -> None:
    assert grounding(_reply_after(SHIPPING, reply)) == []


@pytest.mark.parametrize(
    ("reply", "value"),
    [
        ("Order ord_0001 ships on March 15, 2025.", "'March 15, 2025'"),
        ("Order ord_0001 ships at 11:45.", "'11:45'"),
        ("Order ord_0001 totals $52.98.", "'52.98'"),
        ("Order ord_0001 will be delivered by Hermes.", "'Hermes'"),
        ("Order ord_0001 replaces ord_0002.", "'ord_0002'"),
    ],
)
def test_a_value_in_no_earlier_message_is_ungrounded(reply: str, value: str) -> None:
    result = check_grounding(_reply_after(SHIPPING, reply), None, GroundingConfig())
    assert (
        codes(result) == ["ungrounded_value"]
        and value in result.reason
        and result.reason.startswith("message 4:")
    )


def test_numbers_from_the_system_prompt_and_the_user_are_grounded() -> None:
    system = shop.SYSTEM_PROMPT + " Orders over $50 ship free and can be returned within 30 days."
    traj = shop.trajectory(
        shop.user("Hi, I'm cus_ada. Can I spend 120 dollars on order ord_0001?"),
        shop.call("c1", "get_order", order_id="ord_0001"),
        shop.result("c1", SHIPPING),
        shop.say(
            "Order ord_0001 is $51.98, under your 120; over $50 it ships free, returnable within 30 days."
        ),
        system=system,
    )
    assert grounding(traj) == []
    invented = traj.model_copy(
        update={
            "messages": [*traj.messages[:-1], shop.say("Order ord_0001 is placed; returns within 45 days.")]
        }
    )
    assert grounding(invented) == ["ungrounded_value"]


def test_a_message_cannot_ground_its_own_numbers() -> None:
    # 83 = 41 + 42, but none of them was shown: a list of invented numbers grounds nothing
    reply = "Order ord_0001 is placed; the parcels weigh 41, 42 and 83 grams."
    result = check_grounding(_reply_after(SHIPPING, reply), None, GroundingConfig())
    assert codes(result) == ["ungrounded_value"] and "'41', '42', '83'" in result.reason


def test_ids_in_call_arguments_must_come_from_earlier_messages() -> None:
    opening = "Hi, I'm cus_ada; please check my order."
    traj = _reply_after(SHIPPING, "Order ord_0001 is placed.", opening=opening)
    result = check_grounding(traj, None, GroundingConfig())
    assert codes(result) == ["guessed_id"] and "order_id='ord_0001'" in result.reason
    # an id-shaped value under any key is an id; an enum value of the schema is not
    shaped = shop.trajectory(
        shop.user("Hi, I'm cus_ada and I want a lamp."),
        shop.call("c1", "search_products", query="prd_lamp2"),
        shop.result("c1", {"products": [], "count": 0}),
        shop.say("I found no such lamp."),
    )
    assert grounding(shaped) == ["guessed_id"]
    numeric = shop.trajectory(
        shop.user("Hi, I'm cus_ada."),
        shop.call("c1", "get_order", order_id=1234),
        shop.result("c1", {"products": [], "count": 0}),
        shop.say("There is nothing there."),
    )
    assert grounding(numeric) == ["guessed_id"]


# --- the reply reports the last results ------------------------------------------------------


def test_the_reply_to_the_last_results_is_judged_not_a_later_courtesy() -> None:
    courteous = shop.trajectory(*shop.good().messages[1:], shop.say("You're welcome!"))
    assert grounding(courteous) == []
    ignored = shop.defects()["ignored_results"][0]
    assert grounding(ignored) == ["ignored_results"]


def test_a_result_with_no_values_asks_nothing_of_the_reply() -> None:
    traj = shop.trajectory(
        shop.OPENING,
        shop.ASK_ID,
        shop.GIVE_ID,
        shop.call("c1", "search_products", query="lamp"),
        shop.result("c1", {"products": [], "count": 0}),
        shop.say("I found no lamps in the catalogue right now."),
    )
    assert grounding(traj) == []


# --- errors ------------------------------------------------------------------------------------


def test_a_reported_failure_after_an_error_is_fine() -> None:
    told = shop.trajectory(*shop.chair_until_error(), shop.say(shop.CHAIR_SORRY), shop.THANKS)
    assert grounding(told) == []
    assert rules(told) == []


@pytest.mark.parametrize(
    ("text", "claims"),
    [
        ("Done: order ord_0001 is placed.", True),
        ("All set!", True),
        ("The order has been placed.", True),
        ("Your booking was processed successfully.", True),
        ("I've added the lamps to your cart.", True),
        ("I've tried to add the chair, but it failed.", False),
        ("I've checked the catalogue.", False),
        ("Sorry, the order could not be placed.", False),
        ("Unfortunately the cart service is down; nothing has been added.", False),
        ("Shall I try again?", False),
        ("Shall I add the comment “All done, the fix has been applied.” to tkt_0101?", False),
        ('Your note says "Done: I\'ve moved it." Is that the one?', False),
    ],
)
def test_success_claims(text: str, claims: bool) -> None:
    assert claims_success(text) is claims


def test_a_retry_after_a_transient_error_or_a_user_turn_is_not_a_blind_repeat() -> None:
    busy = "Error: Service temporarily unavailable (503). Please retry."
    retried = shop.trajectory(
        *shop.chair_until_error(error=busy), *shop.chair_add("c6"), shop.say(shop.CHAIR_SORRY), shop.THANKS
    )
    assert grounding(retried) == []
    asked = shop.trajectory(
        *shop.chair_until_error(),
        shop.say("Sorry, prd_chair shows 0 in stock and could not be added. Shall I try once more?"),
        shop.YES,
        *shop.chair_add("c6"),
        shop.say(shop.CHAIR_SORRY),
    )
    assert grounding(asked) == []


def test_a_claim_of_success_after_an_error_is_caught_even_before_the_last_reply() -> None:
    traj = shop.trajectory(
        *shop.chair_until_error(),
        shop.say("Done, the chair is in your cart. Anything else?"),
        shop.user("No, that's all."),
        shop.say("Goodbye, Ada!"),
    )
    assert "success_after_error" in grounding(traj)


# --- the user speaks in their own words --------------------------------------------------------


def test_a_few_shared_words_are_not_a_pasted_description() -> None:
    # "the customer's cart" and "an order" are shared with place_order's description: 5 words at most
    natural = shop.trajectory(
        shop.user("Please turn the customer's cart for cus_ada into an order."),
        *shop.LOOKUPS[:2],
        shop.say("To confirm: I'll place the order for Ada Lovelace. Shall I go ahead?"),
        shop.YES,
        *shop.WRITES[2:],
        shop.say("Done: order ord_0001 is placed."),
    )
    assert grounding(natural) == []
    assert grounding(natural, description_words=3) == ["description_in_user_turn"]


# --- confirmation before a write -------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "Before any change (creating, updating, cancelling or removing anything), say what you will do "
        "and wait for the user's yes.",
        shop.SYSTEM_PROMPT,
        "Confirm the key details with the user before any change.",
        "Always ask for confirmation before placing an order.",
        "Get the user's approval first when an action modifies data.",
        "You may only act once the customer confirms the details.",
        "Never cancel anything without the user's explicit consent.",
    ],
)
def test_prompts_that_ask_for_confirmation(prompt: str) -> None:
    assert requires_confirmation(prompt)


@pytest.mark.parametrize(
    "prompt",
    [
        "You are the shop's assistant. You act only through your tools.",
        "Do not ask for confirmation; act at once.",
        "No need to confirm before changes, the user has pre-approved them.",
        "You have permission to modify orders.",
        "",
        None,
    ],
)
def test_prompts_that_do_not(prompt: str | None) -> None:
    assert not requires_confirmation(prompt)


@pytest.mark.parametrize(
    "text", ["Yes please.", "yeah", "Sure, go ahead", "OK", "Sounds good!", "Please do.", "Confirm."]
)
def test_affirmative_replies(text: str) -> None:
    assert is_affirmative(text)


@pytest.mark.parametrize(
    "text", ["No, wait.", "Don't do it yet", "It's cus_ada.", "Hmm, how much is it?", ""]
)
def test_not_affirmative_replies(text: str) -> None:
    assert not is_affirmative(text)


@pytest.mark.parametrize(
    ("name", "writes"),
    [
        ("get_customer", False),
        ("search_products", False),
        ("list_orders", False),
        ("view_cart", False),
        ("find_customer", False),
        ("add_to_cart", True),
        ("place_order", True),
        ("cancel_order", True),
        ("update_shipping_address", True),
    ],
)
def test_writes_are_told_from_reads_by_name(name: str, writes: bool) -> None:
    assert (
        is_write({"name": name, "parameters": {"type": "object", "properties": {"order_id": {}}}}) is writes
    )


def test_the_opening_request_is_never_a_confirmation() -> None:
    traj = shop.trajectory(
        shop.user("Yes, please add 2 prd_lamp to the cart of cus_ada."),
        shop.WRITES[0],
        shop.WRITES[1],
        shop.say("Added: 2 prd_lamp, total 5198 cents."),
    )
    assert rules(traj) == ["write_without_confirmation"]


def test_one_yes_covers_the_writes_up_to_the_next_user_turn() -> None:
    head = [shop.OPENING, shop.ASK_ID, shop.GIVE_ID, *shop.LOOKUPS, shop.CONFIRM, shop.YES]
    # the "ok" answers a turn that asked nothing: it confirms nothing
    split = shop.trajectory(
        *head,
        *shop.WRITES[:2],
        shop.say("Added 2 Desk lamp LED to your cart. I will place the order now."),
        shop.user("ok"),
        *shop.WRITES[2:],
        shop.DONE,
    )
    result = check_rules(split, None, RulesConfig())
    assert codes(result) == ["write_without_confirmation"] and result.reason.startswith(
        "message 14: place_order"
    )
    assert not result.passed


def test_without_the_policy_writes_need_no_confirmation() -> None:
    unconfirmed = shop.defects()["write_without_confirmation"][0]
    relaxed = unconfirmed.model_copy(
        update={
            "messages": [
                Message(role="system", content="You are the shop's assistant."),
                *unconfirmed.messages[1:],
            ]
        }
    )
    assert rules(relaxed) == []


def test_a_plain_text_result_is_used_by_quoting_one_of_its_lines() -> None:
    output = "[exit code 0]\n" + "." * 5 + " " * 68 + "[100%]\n5 passed in 0.01s\n"
    head = [
        shop.user("Please run the tests."),
        shop.call("c1", "run_tests"),
        shop.result("c1", output),
    ]
    assert grounding(shop.trajectory(*head, shop.say("I ran the tests (5 passed in 0.01s)."))) == []
    assert grounding(shop.trajectory(*head, shop.say("I ran the tests."))) == ["ignored_results"]


def test_a_hyphenated_name_is_one_name() -> None:
    traj = shop.trajectory(
        shop.user("Please add a note with title Year-end budget."),
        shop.say("I'll add a note titled Year-end budget. Shall I go ahead?"),
    )
    assert grounding(traj) == []
    invented = shop.trajectory(
        shop.user("Please add a note."), shop.say("I'll add the note Year-end. Shall I go ahead?")
    )
    assert "'Year-end'" in check_grounding(invented, None, GroundingConfig()).reason
