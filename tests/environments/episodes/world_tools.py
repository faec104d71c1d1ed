"""Tool sets with no implementation, for the simulated-world tests: imported ones (an MCP catalog
with output schemas and `$ref`s, an OpenAI function list with none) and synthetic ones (designed
by the scripted synthesizer, built as the library builds them)."""

from __future__ import annotations

from typing import Any

from toolforge.core.types import ToolSpec
from toolforge.tools.catalog import from_mcp_line, from_openai
from toolforge.tools.synthesis import Domain, ToolIdea, tool_from_idea
from toolforge_testing.synthesis_fake import tools as designed

S = {"type": "string"}
LINE = {
    "type": "object",
    "properties": {
        "product_id": S,
        "quantity": {"type": "integer", "minimum": 1},
        "unit_price": {"type": "number", "minimum": 0},
        "line_total": {"type": "number"},
    },
    "required": ["product_id", "quantity", "unit_price", "line_total"],
}
ORDER = {
    "type": "object",
    "properties": {
        "id": S,
        "customer_id": S,
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
        "subtotal": {"type": "number"},
        "tax": {"type": "number", "minimum": 0},
        "total": {"type": "number"},
        "currency": {"type": "string", "enum": ["USD", "EUR", "GBP"]},
        "status": {"type": "string", "enum": ["placed", "paid", "shipped", "cancelled"]},
        "created_at": {"type": "string", "format": "date-time"},
        "delivery_date": {"type": "string", "format": "date"},
        "notes": S,
    },
    "required": [
        "id",
        "customer_id",
        "lines",
        "subtotal",
        "tax",
        "total",
        "currency",
        "status",
        "created_at",
    ],
    "$defs": {"Line": LINE},
}
CUSTOMER = {
    "type": "object",
    "properties": {
        "id": S,
        "name": S,
        "email": {"type": "string", "format": "email"},
        "phone": S,
        "city": S,
        "tier": {"type": "string", "enum": ["standard", "gold"]},
    },
    "required": ["id", "name", "email", "tier"],
}
PRODUCT = {
    "type": "object",
    "properties": {
        "id": S,
        "name": S,
        "price": {"type": "number", "minimum": 0},
        "stock": {"type": "integer"},
    },
    "required": ["id", "name", "price", "stock"],
}


def _mcp(
    name: str, description: str, props: dict[str, Any], required: list[str], output: Any, ro: bool
) -> dict:
    return {
        "server": "shop-catalog",
        "tool": {
            "name": name,
            "description": description,
            "inputSchema": {"type": "object", "properties": props, "required": required},
            "outputSchema": output,
            "annotations": {"readOnlyHint": ro},
        },
    }


def _listing(key: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: {"type": "array", "items": item}, "count": {"type": "integer"}},
        "required": [key, "count"],
        **({"$defs": item.pop("$defs")} if "$defs" in item else {}),
    }


def shop_tools() -> list[ToolSpec]:
    """An imported shop: orders with lines, totals, enums, dates and `$ref`s."""
    line_in = {
        "type": "object",
        "properties": {"product_id": S, "quantity": {"type": "integer", "minimum": 1}},
        "required": ["product_id", "quantity"],
    }
    lines = [
        _mcp(
            "create_customer",
            "Register a new customer.",
            {"name": S, "email": S, "city": S},
            ["name"],
            CUSTOMER,
            False,
        ),
        _mcp(
            "get_customer", "Look up a customer by id.", {"customer_id": S}, ["customer_id"], CUSTOMER, True
        ),
        _mcp("get_product", "Look up a product by id.", {"product_id": S}, ["product_id"], PRODUCT, True),
        _mcp(
            "search_products",
            "Search the catalog.",
            {"query": S, "limit": {"type": "integer"}},
            [],
            _listing("products", dict(PRODUCT)),
            True,
        ),  # fmt: skip
        _mcp(
            "place_order",
            "Place an order for a customer.",
            {
                "customer_id": S,
                "lines": {"type": "array", "items": line_in, "minItems": 1},
                "currency": {"type": "string", "enum": ["USD", "EUR", "GBP"]},
                "notes": S,
            },
            ["customer_id", "lines"],
            dict(ORDER),
            False,
        ),  # fmt: skip
        _mcp("get_order", "Get an order by id.", {"order_id": S}, ["order_id"], dict(ORDER), True),
        _mcp(
            "list_orders",
            "List orders, by customer or status.",
            {
                "customer_id": S,
                "status": {"type": "string", "enum": ["placed", "paid", "shipped", "cancelled"]},
            },
            [],
            _listing("orders", dict(ORDER)),
            True,
        ),  # fmt: skip
        _mcp(
            "update_order",
            "Change the notes or delivery date of an order.",
            {"order_id": S, "notes": S, "delivery_date": {"type": "string", "format": "date"}},
            ["order_id"],
            dict(ORDER),
            False,
        ),  # fmt: skip
        _mcp(
            "delete_order",
            "Delete an order.",
            {"order_id": S},
            ["order_id"],
            {
                "type": "object",
                "properties": {"deleted": {"type": "boolean"}, "message": S},
                "required": ["deleted", "message"],
            },
            False,
        ),  # fmt: skip
    ]
    return [from_mcp_line(line, "shop-catalog") for line in lines]


def calendar_tools() -> list[ToolSpec]:
    """An imported calendar in the OpenAI function format: no output schemas at all."""
    event_props = {"title": S, "start": S, "end": S, "location": S}
    functions = [
        {"name": "create_event", "description": "Create a calendar event.",
         "parameters": {"type": "object", "properties": event_props, "required": ["title", "start", "end"]}},
        {"name": "get_event", "description": "Get one event.",
         "parameters": {"type": "object", "properties": {"event_id": S}, "required": ["event_id"]}},
        {"name": "list_events", "description": "List events, optionally by text.",
         "parameters": {"type": "object", "properties": {"query": S}}},
        {"name": "update_event", "description": "Move or rename an event.",
         "parameters": {"type": "object", "properties": {"event_id": S, **event_props}, "required": ["event_id"]}},
        {"name": "delete_event", "description": "Delete an event.",
         "parameters": {"type": "object", "properties": {"event_id": S}, "required": ["event_id"]}},
    ]  # fmt: skip
    return [from_openai({"type": "function", "function": f}, "calendar.json") for f in functions]


def synthetic_tools(domain: str, entities: list[str], count: int = 12) -> list[ToolSpec]:
    """Tools the scripted synthesizer designs for one domain, built as the library builds them."""
    text = (
        f"Domain: {domain} — A {domain} service.\nEntities: {', '.join(entities)}.\nDesign {count} new tools"
    )
    where = Domain(category="test", name=domain, description=f"A {domain} service.", entities=entities)
    return [tool_from_idea(ToolIdea.model_validate(t), where, {}) for t in designed(text)["tools"]]


def toolsets() -> dict[str, list[ToolSpec]]:
    """The imported and synthetic sets (the helpdesk set is the suite's `tickets` fixture)."""
    return {
        "shop": shop_tools(),
        "calendar": calendar_tools(),
        "retail": synthetic_tools("regional retail marketplace", ["order", "invoice", "shipment"]),
        "clinic": synthetic_tools("community healthcare clinic", ["patient", "appointment", "prescription"]),
    }
