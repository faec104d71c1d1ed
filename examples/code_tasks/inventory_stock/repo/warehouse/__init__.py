from warehouse.inventory import InsufficientStock, Inventory

__all__ = ["InsufficientStock", "Inventory"]
