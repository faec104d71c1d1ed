import pytest

from warehouse import InsufficientStock, Inventory


def test_add_accumulates():
    inv = Inventory()
    inv.add("bolt", 5, 0.1)
    inv.add("bolt", 3, 0.1)
    assert inv.quantity("bolt") == 8


def test_add_rejects_zero():
    with pytest.raises(ValueError):
        Inventory().add("bolt", 0, 1.0)


def test_remove_within_stock():
    inv = Inventory()
    inv.add("nut", 4, 0.05)
    inv.remove("nut", 3)
    assert inv.quantity("nut") == 1


def test_remove_too_many_raises_and_keeps_stock():
    inv = Inventory()
    inv.add("nut", 2, 0.05)
    with pytest.raises(InsufficientStock):
        inv.remove("nut", 3)
    assert inv.quantity("nut") == 2


def test_remove_unknown_raises():
    with pytest.raises(InsufficientStock):
        Inventory().remove("ghost", 1)


def test_total_value():
    inv = Inventory()
    inv.add("bolt", 10, 0.25)
    inv.add("gear", 2, 3.0)
    assert inv.total_value() == pytest.approx(8.5)
