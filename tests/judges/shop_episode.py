"""The shop episode of reference/trajectory-quality.md ("one to follow"), message for message, and
its defective variants: one per grounding or policy violation the judges must reject."""

from __future__ import annotations

import json
from typing import Any

from toolforge.core.types import Message, ToolCall, Trajectory

S = {"type": "string"}
SYSTEM_PROMPT = (
    "You are the shop's assistant. You act only through your tools. Policies: look a customer or "
    "product up before acting on it; never guess an id; before anything that changes a cart or an "
    "order, say what you will do and wait for the customer's yes."
)


def _function(name: str, description: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": props, "required": required},
        },
    }


TOOLS = [
    _function(
        "get_customer",
        "Look up a customer account: name, email and store credit.",
        {"customer_id": S},
        ["customer_id"],
    ),
    _function(
        "search_products",
        "Search the catalogue by words in the product name; returns price and units in stock.",
        {"query": S, "in_stock_only": {"type": "boolean"}},
        ["query"],
    ),
    _function(
        "add_to_cart",
        "Put a quantity of a product into the customer's cart.",
        {"customer_id": S, "product_id": S, "quantity": {"type": "integer", "minimum": 1}},
        ["customer_id", "product_id", "quantity"],
    ),
    _function(
        "place_order",
        "Turn the customer's cart into an order, taking the items out of stock and emptying the cart.",
        {"customer_id": S},
        ["customer_id"],
    ),
    _function("get_order", "Look up an order: lines, total and status.", {"order_id": S}, ["order_id"]),
]

CUSTOMER = {"id": "cus_ada", "name": "Ada Lovelace", "email": "ada@example.com", "credit_cents": 0}
LAMPS = {
    "products": [
        {"id": "prd_lamp", "name": "Desk lamp LED", "category": "home", "price_cents": 2599, "stock": 5}
    ],
    "count": 1,
}
CART = {
    "customer_id": "cus_ada",
    "lines": [{"product_id": "prd_lamp", "quantity": 2, "unit_price_cents": 2599}],
    "total_cents": 5198,
}
ORDER = {
    "id": "ord_0001",
    "customer_id": "cus_ada",
    "lines": CART["lines"],
    "total_cents": 5198,
    "status": "placed",
    "created_at": "2025-03-14T10:30:00Z",
}
NO_STOCK = "Error: only 0 of prd_chair in stock"


def call(call_id: str, name: str, **arguments: Any) -> Message:
    return Message(role="assistant", content=None, tool_calls=[ToolCall.make(call_id, name, arguments)])


def result(call_id: str, value: Any, error: bool = False) -> Message:
    content = value if isinstance(value, str) else json.dumps(value)
    return Message(role="tool", tool_call_id=call_id, content=content, is_error=error or None)


def say(text: str) -> Message:
    return Message(role="assistant", content=text)


def user(text: str) -> Message:
    return Message(role="user", content=text)


OPENING = user("Hi! I need a couple of desk lamps for the new office, can you sort that out?")
ASK_ID = say("Happy to help. What is your customer id?")
GIVE_ID = user("It's cus_ada.")
LOOKUPS = [
    call("c1", "get_customer", customer_id="cus_ada"),
    result("c1", CUSTOMER),
    call("c2", "search_products", query="lamp"),
    result("c2", LAMPS),
]
CONFIRM = say(
    "Thanks, Ada. The Desk lamp LED is $25.99 and 5 are in stock. To confirm: I'll put 2 in your cart "
    "($51.98) and place the order. Shall I go ahead?"
)
YES = user("Yes please.")
WRITES = [
    call("c3", "add_to_cart", customer_id="cus_ada", product_id="prd_lamp", quantity=2),
    result("c3", CART),
    call("c4", "place_order", customer_id="cus_ada"),
    result("c4", ORDER),
]
DONE = say("Done: order ord_0001 for 2 Desk lamp LED, $51.98, is placed.")
THANKS = user("Great, thanks!")


CHAIRS = {
    "products": [
        {"id": "prd_chair", "name": "Folding chair", "category": "home", "price_cents": 1999, "stock": 0}
    ],
    "count": 1,
}
CHAIR_SORRY = "Sorry, the Folding chair is out of stock, so I could not add it to your cart."


def chair_add(call_id: str, error: str = NO_STOCK) -> list[Message]:
    return [
        call(call_id, "add_to_cart", customer_id="cus_ada", product_id="prd_chair", quantity=1),
        result(call_id, error, error=True),
    ]


def chair_until_error(error: str = NO_STOCK) -> list[Message]:
    """The recovery episode up to the failed write: the chair shows 0 in stock."""
    return [
        user("Hello, I'd like to buy one folding chair please."),
        ASK_ID,
        GIVE_ID,
        LOOKUPS[0],
        LOOKUPS[1],
        call("c2", "search_products", query="folding chair"),
        result("c2", CHAIRS),
        say("The Folding chair is $19.99 but shows 0 in stock. Shall I try to add 1 to your cart anyway?"),
        YES,
        *chair_add("c5", error),
    ]


def trajectory(*messages: Message, system: str = SYSTEM_PROMPT) -> Trajectory:
    return Trajectory(
        task_id="task_lamps",
        agent_id="agent_shop",
        attempt=0,
        messages=[Message(role="system", content=system), *messages],
        tools=TOOLS,
        end_reason="user_stop",
    )


def good() -> Trajectory:
    return trajectory(OPENING, ASK_ID, GIVE_ID, *LOOKUPS, CONFIRM, YES, *WRITES, DONE, THANKS)


def defects() -> dict[str, tuple[Trajectory, str, str]]:
    """name -> (trajectory, the check that must reject it, the violation code)."""
    head = [OPENING, ASK_ID, GIVE_ID, *LOOKUPS, CONFIRM, YES]
    return {
        "invented_result": (
            trajectory(
                user("Hi, I'm cus_ada. What is the status of my last order?"),
                say("Your order ord_0007 for 2 Desk lamp LED ($51.98) was shipped on March 3."),
                THANKS,
            ),
            "grounding",
            "invented_result",
        ),
        "ungrounded_value": (
            trajectory(
                *head, *WRITES, say("Done: order ord_0001 is placed, total $54.98, arriving in 3 days.")
            ),
            "grounding",
            "ungrounded_value",
        ),
        # the customer id was never asked for: the agent made it up (it happens to exist)
        "guessed_id": (
            trajectory(OPENING, *LOOKUPS, CONFIRM, YES, *WRITES, DONE, THANKS),
            "grounding",
            "guessed_id",
        ),
        "ignored_results": (
            trajectory(
                *head, *WRITES, say("Your request has been handled. Anything else I can help with?"), THANKS
            ),
            "grounding",
            "ignored_results",
        ),
        "success_after_error": (
            trajectory(
                *head,
                call("c3", "add_to_cart", customer_id="cus_ada", product_id="prd_lamp", quantity=2),
                result("c3", "Error: the cart service rejected the request (code 409)", error=True),
                say("All set: the lamps have been added and your order is placed."),
                THANKS,
            ),
            "grounding",
            "success_after_error",
        ),
        "repeat_after_error": (
            trajectory(*chair_until_error(), *chair_add("c6"), say(CHAIR_SORRY), THANKS),
            "grounding",
            "repeat_after_error",
        ),
        "description_in_user_turn": (
            trajectory(
                user(
                    "Hi! Could you help me turn the customer's cart into an order, taking the items out of "
                    "stock and emptying the cart? Customer id: cus_ada."
                ),
                *LOOKUPS[:2],
                say("To confirm: I'll turn the cart of Ada Lovelace into an order. Shall I go ahead?"),
                YES,
                *WRITES[2:],
                say("Done: order ord_0001 is placed, total $51.98."),
                THANKS,
            ),
            "grounding",
            "description_in_user_turn",
        ),
        "write_without_confirmation": (
            trajectory(OPENING, ASK_ID, GIVE_ID, *LOOKUPS, *WRITES, DONE, THANKS),
            "rules",
            "write_without_confirmation",
        ),
    }
