"""An example domain as a Python toolkit: a small online shop (customers, products, orders).

Run episodes on it with `toolforge rollout --toolkit examples/domains/shop/toolkit.py:ShopToolkit`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from environments.episodes.toolkit import ToolFailure, Toolkit, tool


class Customer(BaseModel):
    id: str
    name: str
    email: str
    address: str


class Product(BaseModel):
    id: str
    name: str
    price: float
    stock: int


class Order(BaseModel):
    id: str
    customer_id: str
    product_id: str
    quantity: int
    total: float
    status: Literal["placed", "shipped", "cancelled"] = "placed"
    shipping_address: str


def _seed_customers() -> dict[str, Customer]:
    rows = [
        ("customer_0001", "Ada Byron", "ada@example.com", "12 Analytical Row, London"),
        ("customer_0002", "Alan Turing", "alan@example.com", "3 Bletchley Lane, Milton Keynes"),
        ("customer_0003", "Grace Hopper", "grace@example.com", "8 Cobol Court, Arlington"),
    ]
    return {r[0]: Customer(id=r[0], name=r[1], email=r[2], address=r[3]) for r in rows}


def _seed_products() -> dict[str, Product]:
    rows = [
        ("product_0001", "mechanical keyboard", 89.0, 5),
        ("product_0002", "wireless mouse", 25.5, 12),
        ("product_0003", "usb-c hub", 39.9, 0),
        ("product_0004", "27in monitor", 249.0, 3),
    ]
    return {r[0]: Product(id=r[0], name=r[1], price=r[2], stock=r[3]) for r in rows}


def _seed_orders() -> dict[str, Order]:
    order = Order(
        id="order_0001",
        customer_id="customer_0002",
        product_id="product_0004",
        quantity=1,
        total=249.0,
        status="shipped",
        shipping_address="3 Bletchley Lane, Milton Keynes",
    )
    return {order.id: order}


class ShopWorld(BaseModel):
    customers: dict[str, Customer] = Field(default_factory=_seed_customers)
    products: dict[str, Product] = Field(default_factory=_seed_products)
    orders: dict[str, Order] = Field(default_factory=_seed_orders)


class ShopToolkit(Toolkit):
    name = "shop"
    domain = "e-commerce"
    World = ShopWorld
    world: ShopWorld

    @tool(read_only=True)
    def find_customer(self, email: str) -> Customer:
        """Find a customer account by email address.

        Args:
            email: The customer's email address, such as 'ada@example.com'.
        """
        for customer in self.world.customers.values():
            if customer.email.lower() == email.lower():
                return customer
        raise ToolFailure(f"no customer with email {email!r}")

    @tool(read_only=True)
    def search_products(self, query: str, max_price: float | None = None) -> list[Product]:
        """Search the catalogue by words in the product name.

        Args:
            query: Words to look for in product names, such as 'keyboard'.
            max_price: Only products at or below this price.
        """
        words = query.lower().split()
        return [
            p
            for p in self.world.products.values()
            if all(w in p.name for w in words) and (max_price is None or p.price <= max_price)
        ]

    @tool(read_only=True)
    def get_product(self, product_id: str) -> Product:
        """Look up one product: name, price and units in stock.

        Args:
            product_id: The product's id, such as 'product_0001'.
        """
        if product_id not in self.world.products:
            raise ToolFailure(f"product {product_id!r} not found")
        return self.world.products[product_id]

    @tool(destructive=False)
    def place_order(self, customer_id: str, product_id: str, quantity: int = 1) -> Order:
        """Place an order for a customer; ships to the customer's address on file.

        Args:
            customer_id: The customer's id, such as 'customer_0001'.
            product_id: The product to order.
            quantity: How many units (at least 1).
        """
        customer = self.world.customers.get(customer_id)
        product = self.world.products.get(product_id)
        if customer is None:
            raise ToolFailure(f"customer {customer_id!r} not found")
        if product is None:
            raise ToolFailure(f"product {product_id!r} not found")
        if quantity < 1:
            raise ToolFailure("quantity must be at least 1")
        if product.stock < quantity:
            raise ToolFailure(f"only {product.stock} unit(s) of {product.name} in stock")
        product.stock -= quantity
        n = len(self.world.orders) + 1
        while f"order_{n:04d}" in self.world.orders:
            n += 1
        order = Order(
            id=f"order_{n:04d}",
            customer_id=customer_id,
            product_id=product_id,
            quantity=quantity,
            total=round(product.price * quantity, 2),
            shipping_address=customer.address,
        )
        self.world.orders[order.id] = order
        return order

    @tool(read_only=True)
    def get_order(self, order_id: str) -> Order:
        """Look up an order: items, total, status and shipping address.

        Args:
            order_id: The order's id, such as 'order_0001'.
        """
        if order_id not in self.world.orders:
            raise ToolFailure(f"order {order_id!r} not found")
        return self.world.orders[order_id]

    @tool(read_only=True)
    def list_orders(self, customer_id: str) -> list[Order]:
        """List every order of a customer, oldest first.

        Args:
            customer_id: The customer's id.
        """
        return [o for o in self.world.orders.values() if o.customer_id == customer_id]

    @tool(destructive=True)
    def cancel_order(self, order_id: str) -> Order:
        """Cancel an order that has not shipped yet; its units go back into stock.

        Args:
            order_id: The order to cancel.
        """
        order = self.get_order(order_id)
        if order.status != "placed":
            raise ToolFailure(f"order {order_id} is {order.status} and cannot be cancelled")
        order.status = "cancelled"
        self.world.products[order.product_id].stock += order.quantity
        return order

    @tool(destructive=False)
    def update_shipping_address(self, order_id: str, address: str) -> Order:
        """Change where an order that has not shipped yet will be delivered.

        Args:
            order_id: The order to change.
            address: The full new delivery address.
        """
        order = self.get_order(order_id)
        if order.status != "placed":
            raise ToolFailure(f"order {order_id} is {order.status}; its address cannot change")
        order.shipping_address = address
        return order
