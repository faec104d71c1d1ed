"""Python toolkits: schemas from signatures and docstrings, failures as observations, state sync."""

from __future__ import annotations

from environments.episodes.environment import ExecutorSet, ToolEnvironment
from environments.episodes.toolkit import Toolkit, ToolkitExecutor, parse_docstring
from toolforge.core.types import ToolCall


def test_docstring_parsing() -> None:
    desc, args = parse_docstring(
        """Do a thing.

        More words.

        Args:
            a: The first
                thing, continued.
            b (int): Second.

        Returns:
            Nothing.
        """
    )
    assert desc == "Do a thing. More words."
    assert args == {"a": "The first thing, continued.", "b": "Second."}


def test_schemas_come_from_signatures_and_docstrings(shop: type[Toolkit]) -> None:
    specs = {s.name: s for s in shop.specs()}
    assert len(specs) == 8
    place = specs["place_order"]
    assert place.source == "python" and place.origin == "toolkit:shop"
    assert place.input_schema["required"] == ["customer_id", "product_id"]
    assert place.input_schema["properties"]["quantity"] == {
        "default": 1,
        "description": "How many units (at least 1).",
        "type": "integer",
    }
    assert place.description.startswith("Place an order for a customer")
    assert set(place.output_schema["properties"]) >= {"id", "total", "status"}
    assert specs["get_order"].annotations.read_only is True
    assert specs["cancel_order"].annotations.destructive is True


async def test_toolkit_calls_change_the_world_and_failures_are_observations(shop: type[Toolkit]) -> None:
    tools = shop.specs()
    env = ToolEnvironment(tools, ExecutorSet(toolkit=ToolkitExecutor([shop])), shop.initial_state(), "ep")
    placed = await env.call(
        ToolCall.make(
            "c1", "place_order", {"customer_id": "customer_0001", "product_id": "product_0001", "quantity": 2}
        )
    )
    assert not placed.is_error and '"order_0002"' in placed.content
    assert env.state["products"]["product_0001"]["stock"] == 3
    assert env.state["orders"]["order_0002"]["total"] == 178.0
    no_stock = await env.call(
        ToolCall.make("c2", "place_order", {"customer_id": "customer_0001", "product_id": "product_0003"})
    )
    assert no_stock.is_error and "in stock" in no_stock.content
    shipped = await env.call(ToolCall.make("c3", "cancel_order", {"order_id": "order_0001"}))
    assert shipped.is_error and "shipped" in shipped.content
    assert env.state["orders"]["order_0001"]["status"] == "shipped"
