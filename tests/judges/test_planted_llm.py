"""Planted defects played through the LLM-policy path: the agent and the user are scripted on the
loopback server and reached through the real litellm client, the tools run on the reference shop
world (a Python toolkit, in-process), and the real `Judge` (rules, grounding, state; no rubric)
rejects every defective episode with its code and accepts every clean twin.

The defects: (a) the agent invents a tool result, (b) it guesses an id, (c) it skips the
confirmation before a write, (d) it claims success after an error, (e) its final reply ignores the
results, (f) the user's opening is a tool description pasted in.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shop_toolkit import Cart, Line, Order, ShopToolkit, ShopWorld

from environments.episodes.config import RolloutConfig
from environments.episodes.environment import ExecutorSet, ToolEnvironment
from environments.episodes.parallel import run_episodes
from environments.episodes.toolkit import ToolkitExecutor
from judges import Judge, JudgeConfig
from judges.confirmation import requires_confirmation
from toolforge.core.jsonschema_tools import instance_for
from toolforge.core.llm import LLMConfig, RolesConfig
from toolforge.core.store import Store
from toolforge.core.types import (
    Agent,
    Blueprint,
    ExpectedCall,
    Rubric,
    Task,
    ToolCall,
    ToolSpec,
    Trajectory,
    UserGoal,
    Verdict,
)
from toolforge_testing.llm_server import Reply, Request, TestServer

TOOLKIT_REF = f"{Path(__file__).with_name('shop_toolkit.py')}:ShopToolkit"
SYSTEM_PROMPT = (
    "You are the shop's assistant. You act only through your tools. Look a customer or product up "
    "before acting on it. Never guess an id: ask the user or find it with a tool. Before any change "
    "(creating, updating, cancelling or removing anything), say what you will do and wait for the "
    "user's yes."
)
Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Script:
    """One episode: the user's opening, the agent's turns in order, the user's replies to the
    agent's text turns in order, the blueprint's actions, and the world it starts from."""

    opening: str
    agent: list[Reply]
    user: list[tuple[str, bool]]
    actions: list[Call]
    world: dict[str, Any] = field(default_factory=lambda: ShopToolkit.initial_state())


# --- the agent's and the user's lines ------------------------------------------------------------

LAMPS = "Hi! I need a couple of desk lamps for the new office, can you sort that out?"
ASK_ID = Reply.text("Happy to help. What is your customer id?")
GET_ADA: Call = ("get_customer", {"customer_id": "cus_ada"})
SEARCH: Call = ("search_products", {"query": "lamp"})
ADD: Call = ("add_to_cart", {"customer_id": "cus_ada", "product_id": "prd_lamp", "quantity": 2})
PLACE: Call = ("place_order", {"customer_id": "cus_ada"})
CONFIRM = Reply.text(
    "Thanks, Ada. The Desk lamp LED is $25.99 and 5 are in stock. To confirm: I'll put 2 Desk lamp LED "
    "in your cart and place the order. Shall I go ahead?"
)
DONE = Reply.text("Done: order ord_0001 for 2 Desk lamp LED, 5198 cents, is placed.")
GIVE_ID = ("It's cus_ada.", False)
YES = ("Yes please.", False)
THANKS = ("Great, thanks!", True)


def calls(*steps: Call) -> list[Reply]:
    return [Reply.calls(step) for step in steps]


def lamps(*, ask: bool = True, confirm: bool = True, final: Reply = DONE) -> list[Reply]:
    """The reference episode's agent, with one step left out or one reply changed."""
    head = [ASK_ID] if ask else []
    middle = [CONFIRM] if confirm else []
    return [*head, *calls(GET_ADA, SEARCH), *middle, *calls(ADD, PLACE), final]


def world(**collections: Any) -> dict[str, Any]:
    return ShopWorld(**collections).model_dump(mode="json")


LINES = [Line(product_id="prd_lamp", quantity=2, unit_price_cents=2599)]
SHIPPED = world(
    orders={
        "ord_0001": Order(
            id="ord_0001", customer_id="cus_ada", lines=LINES, total_cents=5198, status="shipped"
        )
    }
)
IN_CART = world(carts={"cus_ada": Cart(customer_id="cus_ada", lines=LINES, total_cents=5198)})
DECLINED = {
    **ShopToolkit.initial_state(),
    "_faults": [
        {
            "tool": "place_order",
            "error": "payment declined for cus_ada: the card on file has expired",
            "times": 1,
        }
    ],
}
STATUS = "Hi, what is the status of my last order? My customer id is cus_ada."
CHECKOUT = [
    ASK_ID,
    *calls(GET_ADA, ("get_cart", {"customer_id": "cus_ada"})),
    Reply.text(
        "Thanks, Ada. Your cart holds 2 of prd_lamp, 5198 cents in all. To confirm: I'll place the order "
        "for it. Shall I go ahead?"
    ),
    *calls(PLACE),
    Reply.text("Done: order ord_0001 is placed, 5198 cents."),
]
CHECKOUT_ACTIONS: list[Call] = [GET_ADA, ("get_cart", {"customer_id": "cus_ada"}), PLACE]
# place_order's description, word for word: what a template-built opening looks like
PASTED = "Turn the customer's cart into an order, taking the items out of stock and emptying the cart."

# name -> (script, the violation code a judge must reject it with; None for a clean twin)
EPISODES: dict[str, tuple[Script, str | None]] = {
    "a_invented_result": (
        Script(
            STATUS,
            [Reply.text("Your order ord_0001 for 2 Desk lamp LED ($51.98) has shipped. Anything else?")],
            [("No, that's all, thanks.", True)],
            [("list_orders", {"customer_id": "cus_ada"})],
            SHIPPED,
        ),
        "invented_result",
    ),
    "a_clean": (
        Script(
            STATUS,
            [
                *calls(("list_orders", {"customer_id": "cus_ada"})),
                Reply.text("Your order ord_0001 (2 of prd_lamp, 5198 cents) is shipped."),
            ],
            [THANKS],
            [("list_orders", {"customer_id": "cus_ada"})],
            SHIPPED,
        ),
        None,
    ),
    "b_guessed_id": (
        Script(LAMPS, lamps(ask=False), [YES, THANKS], [GET_ADA, SEARCH, ADD, PLACE]),
        "guessed_id",
    ),
    "b_clean": (Script(LAMPS, lamps(), [GIVE_ID, YES, THANKS], [GET_ADA, SEARCH, ADD, PLACE]), None),
    "c_no_confirmation": (
        Script(LAMPS, lamps(confirm=False), [GIVE_ID, THANKS], [GET_ADA, SEARCH, ADD, PLACE]),
        "write_without_confirmation",
    ),
    "c_clean": (Script(LAMPS, lamps(), [GIVE_ID, YES, THANKS], [GET_ADA, SEARCH, ADD, PLACE]), None),
    "d_success_after_error": (
        Script(
            LAMPS,
            lamps(final=Reply.text("Done! Your order has been placed.")),
            [GIVE_ID, YES, THANKS],
            [GET_ADA, SEARCH, ADD, PLACE],
            DECLINED,
        ),
        "success_after_error",
    ),
    "d_clean": (
        Script(
            LAMPS,
            lamps(
                final=Reply.text(
                    "Sorry, the order could not be placed: payment declined for cus_ada, the card on file "
                    "has expired. The 2 Desk lamp LED are still in your cart."
                )
            ),
            [GIVE_ID, YES, ("Oh, I'll update my card then. Thanks.", True)],
            [GET_ADA, SEARCH, ADD, PLACE],
            DECLINED,
        ),
        None,
    ),
    "e_ignored_results": (
        Script(
            LAMPS,
            lamps(final=Reply.text("Your request has been handled. Is there anything else I can do?")),
            [GIVE_ID, YES, ("No, thanks.", True)],
            [GET_ADA, SEARCH, ADD, PLACE],
        ),
        "ignored_results",
    ),
    "e_clean": (Script(LAMPS, lamps(), [GIVE_ID, YES, THANKS], [GET_ADA, SEARCH, ADD, PLACE]), None),
    "f_pasted_description": (
        Script(PASTED, CHECKOUT, [GIVE_ID, YES, THANKS], CHECKOUT_ACTIONS, IN_CART),
        "description_in_user_turn",
    ),
    "f_clean": (
        Script(
            "Hi, could you check out my cart for me? I'd like to order what's in it.",
            CHECKOUT,
            [GIVE_ID, YES, THANKS],
            CHECKOUT_ACTIONS,
            IN_CART,
        ),
        None,
    ),
}


# --- the scripted models ------------------------------------------------------------------------


def responder(script: Script) -> Callable[[Request], Reply | None]:
    """The agent answers with its next turn (by how many it has taken); the user model with its
    next reply (by how many agent texts it has seen), shaped to whatever schema it is asked for."""

    def answer(request: Request) -> Reply | None:
        messages: list[dict[str, Any]] = request.body["messages"]
        if "tools" in request.body:
            return script.agent[sum(1 for m in messages if m["role"] == "assistant")]
        schema = request.schema
        if schema is None:
            return None
        # the user model sees the agent's words as "user" turns
        text, stop = script.user[sum(1 for m in messages if m["role"] == "user") - 1]
        value = instance_for(schema, random.Random(0))
        return Reply.json({**(value if isinstance(value, dict) else {}), "message": text, "stop": stop})

    return answer


async def replay(tools: list[ToolSpec], script: Script) -> dict[str, Any]:
    """The blueprint's end state: its actions run on a fresh copy of the episode's world."""
    env = ToolEnvironment(tools, ExecutorSet(toolkit=ToolkitExecutor([ShopToolkit])), script.world, "replay")
    for i, (name, arguments) in enumerate(script.actions):
        await env.call(ToolCall.make(f"r{i}", name, arguments))
    return env.state


async def task_for(agent: Agent, tools: list[ToolSpec], seed: int, script: Script) -> Task:
    pattern = [ExpectedCall(name=name, arguments=arguments) for name, arguments in script.actions]
    return Task(
        agent_id=agent.id,
        user_goal=UserGoal(
            description="Get the shop's help with an order",
            known_facts={"customer_id": "cus_ada"},
            opening_message=script.opening,
        ),
        difficulty="multi_call",
        rubric=Rubric(success_criteria=["the user's request is handled"], expected_tool_pattern=pattern),
        initial_state=script.world,
        blueprint=Blueprint(actions=pattern, expected_end_state=await replay(tools, script)),
        source="template",
        seed=seed,
        domain="e-commerce",
    )


def violation_codes(verdict: Verdict) -> set[str]:
    return {v["code"] for check in verdict.checks for v in check.details.get("violations", [])}


async def test_planted_defects_through_the_llm_policy_are_rejected_and_clean_twins_accepted(
    sqlite_store: Store, llm_server: TestServer
) -> None:
    tools = ShopToolkit.specs()
    agent = Agent(
        name="Shop assistant",
        system_prompt=SYSTEM_PROMPT,
        tool_ids=[t.id for t in tools],
        tool_names=[t.name for t in tools],
        domain="e-commerce",
    )
    assert requires_confirmation(agent.system_prompt)
    model = LLMConfig(model="openai/test", api_base=llm_server.url, max_retries=0)
    config = RolloutConfig(
        policy="llm",
        user="llm",
        toolkits=[TOOLKIT_REF],
        models={"agent": "openai/test", "user": "openai/test"},
    )
    tasks: dict[str, Task] = {}
    for seed, (name, (script, _)) in enumerate(EPISODES.items()):
        tasks[name] = await task_for(agent, tools, seed, script)
        llm_server.responder = responder(script)
        summary = await run_episodes(
            sqlite_store, [tasks[name]], [agent], tools, config, roles=RolesConfig(agent=model, user=model)
        )
        assert summary.end_reasons == {"user_stop": 1}, name

    by_task = {t.task_id: t for t in sqlite_store.list(Trajectory)}
    judge = Judge(JudgeConfig.model_validate({"rubric": {"enabled": False}, "short_circuit": False}))
    rejected: dict[str, set[str]] = {}
    accepted: list[str] = []
    for name, (script, code) in EPISODES.items():
        traj = by_task[tasks[name].id]
        # the episode is the script's, played for real: the opening, the agent's turns, the tools
        assert traj.messages[0].content == SYSTEM_PROMPT and traj.messages[1].content == script.opening
        assert [m for m in traj.messages if m.role == "assistant"] and traj.metadata["policy"] == "llm"
        assert set(traj.metadata["executors"].values()) <= {"python"}
        verdict = await judge.judge(traj, tasks[name])
        if verdict.accepted:
            accepted.append(name)
        else:
            rejected[name] = violation_codes(verdict)
        if code is None:
            assert verdict.accepted, (
                f"{name}: {[(c.check, c.reason) for c in verdict.checks if not c.passed]}"
            )
        else:
            assert not verdict.accepted, f"{name} was accepted"
            assert code in rejected[name], f"{name}: expected {code}, got {rejected[name]}"

    defective = [name for name, (_, code) in EPISODES.items() if code is not None]
    assert len(defective) == 6 and set(defective) <= set(rejected)  # 100% of the defective rejected
    assert sorted(accepted) == sorted(name for name, (_, code) in EPISODES.items() if code is None)
    # the world really ran: the clean lamp order left 3 lamps; the declined payment left the cart full
    lamps_left = by_task[tasks["b_clean"].id].final_state["products"]["prd_lamp"]["stock"]
    assert lamps_left == 3
    declined = by_task[tasks["d_clean"].id]
    assert declined.final_state["carts"]["cus_ada"]["total_cents"] == 5198
    assert any(m.is_error and "payment declined" in (m.content or "") for m in declined.messages)
    # the invented result never called a tool
    assert not [m for m in by_task[tasks["a_invented_result"].id].messages if m.role == "tool"]
