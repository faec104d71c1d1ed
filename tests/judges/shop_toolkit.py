"""The shop world of reference/trajectory-quality.md as a Python toolkit (customers, products,
carts, orders; every id the reference episode uses exists), for episodes played in-process.

Kept beside the judges' tests rather than under examples/ so that the planted-defect episodes
stay fixed while the example domains evolve.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from environments.episodes.toolkit import ToolFailure, Toolkit, tool


class Customer(BaseModel):
    id: str
    name: str
    email: str
    credit_cents: int = 0


class Product(BaseModel):
    id: str
    name: str
    category: str
    price_cents: int
    stock: int


class Line(BaseModel):
    product_id: str
    quantity: int
    unit_price_cents: int


class Cart(BaseModel):
    customer_id: str
    lines: list[Line] = Field(default_factory=list)
    total_cents: int = 0


class Order(BaseModel):
    id: str
    customer_id: str
    lines: list[Line]
    total_cents: int
    status: Literal["placed", "shipped", "cancelled"] = "placed"


class Found(BaseModel):
    products: list[Product]
    count: int


def _customers() -> dict[str, Customer]:
    return {
        c.id: c
        for c in [
            Customer(id="cus_ada", name="Ada Lovelace", email="ada@example.com"),
            Customer(id="cus_alan", name="Alan Turing", email="alan@example.com", credit_cents=1500),
        ]
    }


def _products() -> dict[str, Product]:
    return {
        p.id: p
        for p in [
            Product(id="prd_lamp", name="Desk lamp LED", category="home", price_cents=2599, stock=5),
            Product(id="prd_chair", name="Folding chair", category="home", price_cents=1999, stock=0),
            Product(id="prd_mug", name="Enamel mug", category="kitchen", price_cents=899, stock=40),
        ]
    }


class ShopWorld(BaseModel):
    customers: dict[str, Customer] = Field(default_factory=_customers)
    products: dict[str, Product] = Field(default_factory=_products)
    carts: dict[str, Cart] = Field(default_factory=dict)
    orders: dict[str, Order] = Field(default_factory=dict)


class ShopToolkit(Toolkit):
    name = "reference_shop"
    domain = "e-commerce"
    World = ShopWorld
    world: ShopWorld

    @tool(read_only=True)
    def get_customer(self, customer_id: str) -> Customer:
        """Look up a customer account: name, email and store credit.

        Args:
            customer_id: The customer's id.
        """
        if customer_id not in self.world.customers:
            raise ToolFailure(f"no customer {customer_id}")
        return self.world.customers[customer_id]

    @tool(read_only=True)
    def search_products(self, query: str, in_stock_only: bool = False) -> Found:
        """Search the catalogue by words in the product name; returns price and units in stock.

        Args:
            query: Words to look for in product names.
            in_stock_only: Leave out products with no units in stock.
        """
        words = query.lower().split()
        found = [
            p
            for p in self.world.products.values()
            if all(w in p.name.lower() for w in words) and (p.stock > 0 or not in_stock_only)
        ]
        return Found(products=found, count=len(found))

    @tool(read_only=True)
    def get_cart(self, customer_id: str) -> Cart:
        """Show what a customer's cart holds and its total.

        Args:
            customer_id: The customer's id.
        """
        self.get_customer(customer_id)
        return self.world.carts.get(customer_id, Cart(customer_id=customer_id))

    @tool(destructive=False)
    def add_to_cart(self, customer_id: str, product_id: str, quantity: int) -> Cart:
        """Put a quantity of a product into the customer's cart.

        Args:
            customer_id: The customer's id.
            product_id: The product's id.
            quantity: How many units, at least 1.
        """
        self.get_customer(customer_id)
        product = self.world.products.get(product_id)
        if product is None:
            raise ToolFailure(f"no product {product_id}")
        if quantity < 1 or product.stock < quantity:
            raise ToolFailure(f"only {product.stock} of {product_id} in stock")
        cart = self.world.carts.setdefault(customer_id, Cart(customer_id=customer_id))
        cart.lines.append(
            Line(product_id=product_id, quantity=quantity, unit_price_cents=product.price_cents)
        )
        cart.total_cents = sum(line.quantity * line.unit_price_cents for line in cart.lines)
        return cart

    @tool(destructive=False)
    def place_order(self, customer_id: str) -> Order:
        """Turn the customer's cart into an order, taking the items out of stock and emptying the cart.

        Args:
            customer_id: The customer's id.
        """
        cart = self.world.carts.get(customer_id)
        if cart is None or not cart.lines:
            raise ToolFailure(f"the cart of {customer_id} is empty")
        for line in cart.lines:
            self.world.products[line.product_id].stock -= line.quantity
        order_id = f"ord_{len(self.world.orders) + 1:04d}"
        order = Order(id=order_id, customer_id=customer_id, lines=cart.lines, total_cents=cart.total_cents)
        self.world.orders[order_id] = order
        del self.world.carts[customer_id]
        return order

    @tool(read_only=True)
    def list_orders(self, customer_id: str) -> list[Order]:
        """List a customer's orders, oldest first.

        Args:
            customer_id: The customer's id.
        """
        self.get_customer(customer_id)
        return [o for o in self.world.orders.values() if o.customer_id == customer_id]
