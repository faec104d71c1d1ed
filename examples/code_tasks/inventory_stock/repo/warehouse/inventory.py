"""A tiny stock ledger."""


class InsufficientStock(ValueError):
    pass


class Inventory:
    def __init__(self) -> None:
        self._qty: dict[str, int] = {}
        self._price: dict[str, float] = {}

    def add(self, sku: str, qty: int, unit_price: float) -> None:
        if qty <= 0:
            raise ValueError("qty must be positive")
        self._qty[sku] = self._qty.get(sku, 0) + qty
        self._price[sku] = unit_price

    def remove(self, sku: str, qty: int) -> None:
        self._qty[sku] = self._qty.get(sku, 0) - qty

    def quantity(self, sku: str) -> int:
        return self._qty.get(sku, 0)
