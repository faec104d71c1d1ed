"""A small order-desk task, its good trajectory, and one trajectory per planted defect."""

from __future__ import annotations

import json
from typing import Any

from toolforge.core.types import (
    Blueprint,
    ExpectedCall,
    Message,
    Rubric,
    Task,
    ToolCall,
    Trajectory,
    UserGoal,
)

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_order",
            "description": "Look up an order by id.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string", "pattern": "^ord_[0-9]+$"}},
                "required": ["order_id"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "cancel_order",
            "description": "Cancel a pending order.",
            "parameters": {
                "type": "object",
                "properties": {
                    "order_id": {"type": "string", "pattern": "^ord_[0-9]+$"},
                    "reason": {"type": "string", "enum": ["changed_mind", "duplicate", "other"]},
                },
                "required": ["order_id", "reason"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "refund_order",
            "description": "Refund a delivered order.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    },
]

START = {"orders": {"ord_1": {"status": "pending"}, "ord_2": {"status": "pending"}}}
END = {"orders": {"ord_1": {"status": "cancelled"}, "ord_2": {"status": "pending"}}}


def task() -> Task:
    return Task(
        agent_id="agent_desk",
        user_goal=UserGoal(description="Cancel order ord_1 because I changed my mind."),
        difficulty="multi_call",
        rubric=Rubric(
            success_criteria=["Order ord_1 is cancelled", "The user is told the order was cancelled"],
            expected_tool_pattern=[
                ExpectedCall(name="get_order", arguments={"order_id": "ord_1"}),
                ExpectedCall(name="cancel_order", arguments={"order_id": "ord_1", "reason": "changed_mind"}),
            ],
            checkpoints=["The order is looked up before it is cancelled"],
        ),
        initial_state=START,
        blueprint=Blueprint(
            actions=[
                ExpectedCall(name="get_order", arguments={"order_id": "ord_1"}),
                ExpectedCall(name="cancel_order", arguments={"order_id": "ord_1", "reason": "changed_mind"}),
            ],
            expected_end_state=END,
        ),
        domain="shop",
    )


def _call(call_id: str, name: str, **args: Any) -> ToolCall:
    return ToolCall.make(call_id, name, args)


def _result(call_id: str, value: Any, error: bool = False) -> Message:
    return Message(role="tool", tool_call_id=call_id, content=json.dumps(value), is_error=error or None)


USER = Message(role="user", content="Please cancel my order ord_1, I changed my mind.")
SYSTEM = Message(role="system", content="You are the order desk of a small shop.")
LOOKUP = [
    Message(role="assistant", content=None, tool_calls=[_call("c1", "get_order", order_id="ord_1")]),
    _result("c1", {"id": "ord_1", "status": "pending"}),
]
CANCEL = [
    Message(
        role="assistant",
        content=None,
        tool_calls=[_call("c2", "cancel_order", order_id="ord_1", reason="changed_mind")],
    ),
    _result("c2", {"id": "ord_1", "status": "cancelled"}),
]
DONE = Message(role="assistant", content="Order ord_1 is cancelled.")


def trajectory(messages: list[Message], final_state: dict[str, Any] | None = None, **kw: Any) -> Trajectory:
    fields: dict[str, Any] = {"end_reason": "user_stop"} | kw
    return Trajectory(
        task_id=task().id,
        agent_id="agent_desk",
        attempt=0,
        messages=[SYSTEM, USER, *messages],
        tools=TOOLS,
        final_state=END if final_state is None else final_state,
        **fields,
    )


def good() -> Trajectory:
    return trajectory([*LOOKUP, *CANCEL, DONE])


# name -> (trajectory, the check that must catch it, a violation code or state marker)
def defects() -> dict[str, tuple[Trajectory, str, str]]:
    wrong_tool = [
        *LOOKUP,
        Message(role="assistant", content=None, tool_calls=[_call("c2", "refund_order", order_id="ord_1")]),
        _result("c2", {"id": "ord_1", "refunded": True}),
        Message(role="assistant", content="Your order ord_1 has been refunded."),
    ]
    invalid_args = [
        *LOOKUP,
        Message(
            role="assistant",
            content=None,
            tool_calls=[_call("c2", "cancel_order", order_id=1, reason="because")],
        ),
        _result("c2", {"id": "ord_1", "status": "cancelled"}),
        DONE,
    ]
    not_offered = [
        *LOOKUP,
        Message(role="assistant", content=None, tool_calls=[_call("c2", "delete_order", order_id="ord_1")]),
        _result("c2", {"deleted": True}),
        *CANCEL,
        DONE,
    ]
    premature = [*LOOKUP, Message(role="assistant", content="I will cancel ord_1 for you now.")]
    ignored_error = [
        *LOOKUP,
        Message(
            role="assistant",
            content=None,
            tool_calls=[_call("c2", "cancel_order", order_id="ord_1", reason="changed_mind")],
        ),
        _result("c2", {"error": "order service timed out"}, error=True),
        Message(role="assistant", content="All set: order ord_1 is cancelled."),
    ]
    # The agent mixes up the two orders the lookup named: a grounded id, the wrong one.
    wrong_state = [
        LOOKUP[0],
        _result("c1", {"id": "ord_1", "status": "pending", "same_items_as": "ord_2"}),
        Message(
            role="assistant",
            content=None,
            tool_calls=[_call("c2", "cancel_order", order_id="ord_2", reason="changed_mind")],
        ),
        _result("c2", {"id": "ord_2", "status": "cancelled"}),
        DONE,
    ]
    wrong_state_end = {"orders": {"ord_1": {"status": "pending"}, "ord_2": {"status": "cancelled"}}}
    padding = [
        *LOOKUP,
        Message(role="assistant", content=None, tool_calls=[_call("c3", "get_order", order_id="ord_1")]),
        _result("c3", {"id": "ord_1", "status": "pending"}),
        Message(role="assistant", content=None, tool_calls=[_call("c4", "get_order", order_id="ord_1")]),
        _result("c4", {"id": "ord_1", "status": "pending"}),
        *CANCEL,
        DONE,
    ]
    long_text = "Certainly! " + "Let me restate everything about your order in great detail. " * 120
    verbose = [*LOOKUP, *CANCEL, Message(role="assistant", content=long_text + "Order ord_1 is cancelled.")]
    rambling = " ".join(f"Note {i}: your order number {i} history entry reads fine." for i in range(260))
    over_budget = [
        *LOOKUP,
        *CANCEL,
        Message(role="assistant", content=rambling + " Order ord_1 is cancelled."),
    ]
    empty_turn = [*LOOKUP, Message(role="assistant", content="  "), *CANCEL, DONE]
    return {
        "wrong_tool": (trajectory(wrong_tool, final_state=START), "rules", "expected_tool_unused"),
        "invalid_arguments": (trajectory(invalid_args), "rules", "invalid_arguments"),
        "tool_not_offered": (trajectory(not_offered), "rules", "tool_not_offered"),
        "premature_stop": (trajectory(premature, final_state=START), "rules", "expected_tool_unused"),
        "unanswered_call": (
            trajectory([*LOOKUP, CANCEL[0]], final_state=START, end_reason="agent_stop"),
            "rules",
            "premature_stop",
        ),
        "turn_limit": (
            trajectory([*LOOKUP], final_state=START, end_reason="max_turns"),
            "rules",
            "improper_end",
        ),
        "ignored_tool_error": (trajectory(ignored_error, final_state=START), "rules", "ignored_tool_error"),
        "wrong_end_state": (
            trajectory(wrong_state, final_state=wrong_state_end),
            "state",
            "/orders/ord_1/status",
        ),
        "padding_calls": (trajectory(padding), "rules", "repeated_call"),
        "padding_text": (trajectory(verbose), "rules", "repetitive_text"),
        "over_budget": (trajectory(over_budget), "rules", "over_token_budget"),
        "empty_turn": (trajectory(empty_turn), "rules", "empty_turn"),
    }
