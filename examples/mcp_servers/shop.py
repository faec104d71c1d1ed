"""A small shop: products with stock, carts, orders, shipping, cancellations and refunds.

Run: ``python -m examples.mcp_servers.shop [--state FILE]`` (or by path); state file also from
``SHOP_STATE_FILE``. Money is in integer cents.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field

if __package__ in (None, ""):  # run by path: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from examples.mcp_servers._common import ACTION, ADD, CREATE, DESTROY, READ, JsonState, main

ENV_VAR = "SHOP_STATE_FILE"


def _product(pid: str, name: str, category: str, price: int, stock: int) -> dict[str, Any]:
    return {"id": pid, "name": name, "category": category, "price_cents": price, "stock": stock}


def _order(oid: str, cid: str, lines: list[tuple[str, int, int]], status: str) -> dict[str, Any]:
    rows = [{"product_id": p, "quantity": q, "unit_price_cents": u} for p, q, u in lines]
    total = sum(q * u for _, q, u in lines)
    return {
        "id": oid,
        "customer_id": cid,
        "lines": rows,
        "total_cents": total,
        "refunded_cents": 0,
        "status": status,
    }


SEED: dict[str, Any] = {
    "products": {
        p["id"]: p
        for p in [
            _product("prd_kettle", "Steel kettle 1.7 l", "kitchen", 3499, 12),
            _product("prd_mug", "Stoneware mug", "kitchen", 899, 40),
            _product("prd_lamp", "Desk lamp LED", "home", 2599, 5),
            _product("prd_chair", "Folding chair", "home", 4999, 0),
            _product("prd_cable", "USB-C cable 2 m", "electronics", 1299, 100),
            _product("prd_headset", "Wireless headset", "electronics", 7999, 7),
            _product("prd_teapot", "Glass teapot", "kitchen", 2450, 9),
            _product("prd_pan", "Cast iron pan 28 cm", "kitchen", 5900, 4),
            _product("prd_rug", "Wool rug 120x180", "home", 12900, 2),
            _product("prd_charger", "GaN charger 65 W", "electronics", 3999, 25),
            _product("prd_keyboard", "Mechanical keyboard", "electronics", 8900, 0),
            _product("prd_blanket", "Cotton throw blanket", "home", 3200, 15),
        ]
    },
    "customers": {
        "cus_ada": {"id": "cus_ada", "name": "Ada Lovelace", "email": "ada@example.com", "credit_cents": 0},
        "cus_alan": {
            "id": "cus_alan",
            "name": "Alan Turing",
            "email": "alan@example.com",
            "credit_cents": 500,
        },
        "cus_grace": {
            "id": "cus_grace",
            "name": "Grace Hopper",
            "email": "grace@example.com",
            "credit_cents": 0,
        },
        "cus_linus": {
            "id": "cus_linus",
            "name": "Linus Pauling",
            "email": "linus@example.com",
            "credit_cents": 1250,
        },
        "cus_margaret": {
            "id": "cus_margaret",
            "name": "Margaret Hamilton",
            "email": "margaret@example.com",
            "credit_cents": 0,
        },
    },
    "carts": {},
    # Past orders of other customers, so there is something to track, ship, cancel and refund.
    # Their ids sit apart from the sequence new orders take (ord_0001, ord_0002, ...).
    "orders": {
        o["id"]: o
        for o in [
            _order("ord_0901", "cus_grace", [("prd_teapot", 1, 2450), ("prd_mug", 2, 899)], "placed"),
            _order("ord_0902", "cus_grace", [("prd_charger", 1, 3999)], "shipped"),
            _order("ord_0903", "cus_linus", [("prd_headset", 1, 7999)], "delivered"),
            _order("ord_0904", "cus_linus", [("prd_cable", 3, 1299)], "placed"),
            _order("ord_0905", "cus_margaret", [("prd_pan", 1, 5900), ("prd_blanket", 1, 3200)], "delivered"),
        ]
    },
    "refunds": {},
    "_counters": {},
}

CustomerId = Annotated[str, Field(description="customer id, e.g. cus_ada")]
ProductId = Annotated[str, Field(description="product id, e.g. prd_kettle")]
OrderId = Annotated[str, Field(description="order id, e.g. ord_0001")]


class Product(BaseModel):
    id: str
    name: str
    category: str
    price_cents: int
    stock: int


class ProductList(BaseModel):
    products: list[Product]
    count: int


class Customer(BaseModel):
    id: str
    name: str
    email: str
    credit_cents: int = Field(description="store credit from refunds")


class Line(BaseModel):
    product_id: str
    quantity: int
    unit_price_cents: int


class Cart(BaseModel):
    customer_id: str
    lines: list[Line]
    total_cents: int


class Order(BaseModel):
    id: str
    customer_id: str
    lines: list[Line]
    total_cents: int
    refunded_cents: int
    status: str = Field(description="placed, shipped, delivered or cancelled")


class OrderList(BaseModel):
    orders: list[Order]
    count: int


class Refund(BaseModel):
    id: str
    order_id: str
    amount_cents: int
    reason: str
    status: str = Field(description="approved")


def build(path: Path | None = None) -> MCPServer:
    """A fresh server over the state at `path` (in memory when None)."""
    state = JsonState(path, SEED)
    server = MCPServer("shop", version="0.1.0", instructions="A shop: products, carts, orders, refunds.")
    data = state.data

    def product(pid: str) -> dict[str, Any]:
        if pid not in data["products"]:
            raise ToolError(f"unknown product {pid!r}; call search_products to find ids")
        return data["products"][pid]

    def customer(cid: str) -> dict[str, Any]:
        if cid not in data["customers"]:
            raise ToolError(f"unknown customer {cid!r}")
        return data["customers"][cid]

    def order(oid: str) -> dict[str, Any]:
        if oid not in data["orders"]:
            raise ToolError(f"unknown order {oid!r}; call list_orders to find ids")
        return data["orders"][oid]

    def cart(cid: str) -> Cart:
        customer(cid)
        lines = [Line(**line) for line in data["carts"].get(cid, [])]
        return Cart(
            customer_id=cid, lines=lines, total_cents=sum(x.quantity * x.unit_price_cents for x in lines)
        )

    @server.tool(annotations=READ)
    async def search_products(
        query: Annotated[str, Field(description="words to match in the name or category; empty = all")] = "",
        max_price_cents: int | None = None,
        in_stock_only: bool = False,
    ) -> ProductList:
        """Search the catalogue by words, price ceiling and availability."""
        words = query.lower().split()
        found = [
            Product(**p)
            for p in sorted(data["products"].values(), key=lambda p: p["id"])
            if all(w in f"{p['name']} {p['category']}".lower() for w in words)
            and (max_price_cents is None or p["price_cents"] <= max_price_cents)
            and (not in_stock_only or p["stock"] > 0)
        ]
        return ProductList(products=found, count=len(found))

    @server.tool(annotations=READ)
    async def get_product(product_id: ProductId) -> Product:
        """Get one product with its price and stock."""
        return Product(**product(product_id))

    @server.tool(annotations=READ)
    async def get_customer(customer_id: CustomerId) -> Customer:
        """Get a customer's profile and store credit."""
        return Customer(**customer(customer_id))

    @server.tool(annotations=ADD)
    async def add_to_cart(
        customer_id: CustomerId, product_id: ProductId, quantity: Annotated[int, Field(ge=1, le=99)] = 1
    ) -> Cart:
        """Set the quantity of a product in the customer's cart (checks stock)."""
        customer(customer_id)
        p = product(product_id)
        if p["stock"] < quantity:
            raise ToolError(f"only {p['stock']} of {product_id} in stock")
        lines = [x for x in data["carts"].get(customer_id, []) if x["product_id"] != product_id]
        lines.append({"product_id": product_id, "quantity": quantity, "unit_price_cents": p["price_cents"]})
        data["carts"][customer_id] = sorted(lines, key=lambda x: x["product_id"])
        state.save()
        return cart(customer_id)

    @server.tool(annotations=READ)
    async def view_cart(customer_id: CustomerId) -> Cart:
        """Show the customer's cart and its total."""
        return cart(customer_id)

    @server.tool(annotations=DESTROY)
    async def remove_from_cart(customer_id: CustomerId, product_id: ProductId) -> Cart:
        """Remove a product from the customer's cart."""
        lines = data["carts"].get(customer_id, [])
        if not any(x["product_id"] == product_id for x in lines):
            raise ToolError(f"{product_id} is not in the cart of {customer_id}")
        data["carts"][customer_id] = [x for x in lines if x["product_id"] != product_id]
        state.save()
        return cart(customer_id)

    @server.tool(annotations=CREATE)
    async def place_order(customer_id: CustomerId) -> Order:
        """Turn the customer's cart into an order, taking the items out of stock and emptying the cart."""
        c = cart(customer_id)
        if not c.lines:
            raise ToolError("the cart is empty; add_to_cart first")
        for line in c.lines:
            if product(line.product_id)["stock"] < line.quantity:
                raise ToolError(f"{line.product_id} no longer has {line.quantity} in stock")
        for line in c.lines:
            product(line.product_id)["stock"] -= line.quantity
        new = Order(
            id=state.next_id("ord"),
            customer_id=customer_id,
            lines=c.lines,
            total_cents=c.total_cents,
            refunded_cents=0,
            status="placed",
        )
        data["orders"][new.id] = new.model_dump()
        data["carts"][customer_id] = []
        state.save()
        return new

    @server.tool(annotations=READ)
    async def get_order(order_id: OrderId) -> Order:
        """Get one order with its lines, status and refunded amount."""
        return Order(**order(order_id))

    @server.tool(annotations=READ)
    async def list_orders(customer_id: CustomerId, status: str | None = None) -> OrderList:
        """List a customer's orders, optionally only those with a given status."""
        customer(customer_id)
        found = [
            Order(**o)
            for o in sorted(data["orders"].values(), key=lambda o: o["id"])
            if o["customer_id"] == customer_id and (status is None or o["status"] == status)
        ]
        return OrderList(orders=found, count=len(found))

    @server.tool(annotations=ACTION)
    async def ship_order(order_id: OrderId) -> Order:
        """Mark a placed order as shipped (then delivered on a second call)."""
        o = order(order_id)
        nxt = {"placed": "shipped", "shipped": "delivered"}.get(o["status"])
        if nxt is None:
            raise ToolError(f"order {order_id} is {o['status']} and cannot move on")
        o["status"] = nxt
        state.save()
        return Order(**o)

    @server.tool(annotations=DESTROY)
    async def cancel_order(order_id: OrderId) -> Order:
        """Cancel an order that has not shipped yet; its items go back into stock."""
        o = order(order_id)
        if o["status"] == "cancelled":
            return Order(**o)
        if o["status"] != "placed":
            raise ToolError(f"order {order_id} is {o['status']}; request_refund instead")
        for line in o["lines"]:
            product(line["product_id"])["stock"] += line["quantity"]
        o["status"] = "cancelled"
        state.save()
        return Order(**o)

    @server.tool(annotations=ACTION)
    async def request_refund(
        order_id: OrderId,
        reason: Annotated[str, Field(min_length=3, description="why the customer wants money back")],
        amount_cents: Annotated[
            int | None, Field(gt=0, description="default: everything not yet refunded")
        ] = None,
    ) -> Refund:
        """Refund part or all of a shipped or delivered order as store credit."""
        o = order(order_id)
        if o["status"] not in ("shipped", "delivered"):
            raise ToolError(
                f"order {order_id} is {o['status']}; only shipped or delivered orders are refunded"
            )
        left = o["total_cents"] - o["refunded_cents"]
        amount = left if amount_cents is None else amount_cents
        if amount <= 0 or amount > left:
            raise ToolError(f"refund must be between 1 and {left} cents")
        o["refunded_cents"] += amount
        customer(o["customer_id"])["credit_cents"] += amount
        refund = Refund(
            id=state.next_id("ref"), order_id=order_id, amount_cents=amount, reason=reason, status="approved"
        )
        data["refunds"][refund.id] = refund.model_dump()
        state.save()
        return refund

    @server.tool(annotations=READ)
    async def get_refund(refund_id: Annotated[str, Field(description="refund id, e.g. ref_0001")]) -> Refund:
        """Get one refund by id."""
        if refund_id not in data["refunds"]:
            raise ToolError(f"unknown refund {refund_id!r}")
        return Refund(**data["refunds"][refund_id])

    return server


if __name__ == "__main__":
    main("shop", ENV_VAR, build)
