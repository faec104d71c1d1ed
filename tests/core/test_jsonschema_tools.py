"""instance_for builds values that the real validator accepts, for hand-written and pydantic schemas."""

from __future__ import annotations

import datetime
import random
import re
from typing import Literal

import jsonschema
import pytest
from pydantic import BaseModel, Field

from toolforge.core.jsonschema_tools import instance_for


class Address(BaseModel):
    street: str
    zip_code: str = Field(min_length=5, max_length=5)


class Order(BaseModel):
    id: int = Field(ge=1, le=10)
    status: Literal["open", "shipped"]
    price: float = Field(gt=0, lt=5)
    address: Address
    tags: list[str] = Field(min_length=1, max_length=3)
    note: str | None = None
    alt: Address | None = None


class Tree(BaseModel):
    label: str
    children: list[Tree] = []


SCHEMAS = {
    "scalars": {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 3, "maximum": 3},
            "x": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "m": {"type": "integer", "multipleOf": 5, "minimum": 1, "maximum": 30},
            "b": {"type": "boolean"},
            "z": {"type": "null"},
            "s": {"type": "string", "minLength": 20},
            "e": {"enum": ["a", 1, None]},
            "c": {"const": {"k": [1, 2]}},
        },
        "required": ["n", "x", "m", "b", "z", "s", "e", "c"],
        "additionalProperties": False,
    },
    "formats": {
        "type": "object",
        "properties": {
            f: {"type": "string", "format": f}
            for f in ("date-time", "date", "time", "email", "uri", "uuid", "hostname", "ipv4")
        },
        "required": ["date-time", "date", "time", "email", "uri", "uuid", "hostname", "ipv4"],
    },
    "arrays": {
        "type": "array",
        "prefixItems": [{"type": "integer"}, {"type": "string"}],
        "items": {"type": "boolean"},
        "minItems": 2,
        "maxItems": 4,
    },
    "unique": {"type": "array", "items": {"enum": [1, 2, 3]}, "minItems": 3, "uniqueItems": True},
    "union_types": {"type": ["string", "integer"]},
    "one_of": {"oneOf": [{"type": "string", "maxLength": 3}, {"type": "integer", "minimum": 100}]},
    "all_of": {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"properties": {"b": {"type": "string"}}, "required": ["b"]},
        ]
    },
    "min_properties": {"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer"}},
    "order": Order.model_json_schema(),
    "tree": Tree.model_json_schema(),
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_instances_validate(name: str) -> None:
    schema = SCHEMAS[name]
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for seed in range(40):
        value = instance_for(schema, random.Random(seed))
        errors = [e.message for e in validator.iter_errors(value)]
        assert not errors, (seed, value, errors)


def test_pydantic_round_trip() -> None:
    for seed in range(20):
        order = Order.model_validate(instance_for(Order.model_json_schema(), random.Random(seed)))
        assert 1 <= order.id <= 10


def test_same_seed_same_value_and_variety() -> None:
    schema = Order.model_json_schema()
    assert instance_for(schema, random.Random(3)) == instance_for(schema, random.Random(3))
    assert len({str(instance_for(schema, random.Random(s))) for s in range(10)}) > 1


def test_false_schema_is_an_error() -> None:
    with pytest.raises(ValueError, match="false"):
        instance_for({"type": "object", "properties": {"a": False}, "required": ["a"]}, random.Random(0))


class Invoice(BaseModel):
    customer_name: str
    contact_email: str
    due_date: str
    issued_at: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    lines: list[dict[str, float]] = []


def test_fields_get_values_of_their_meaning() -> None:
    """Field names decide the values: a `due_date` is a date, an `issued_at` a datetime, the
    pattern holds, and the email is the person's own."""
    for seed in range(20):
        value = instance_for(Invoice.model_json_schema(), random.Random(seed), topic="create_invoice")
        datetime.date.fromisoformat(value["due_date"])
        datetime.datetime.fromisoformat(value["issued_at"])
        assert re.fullmatch(r"[A-Z]{3}", value["currency"])
        first, last = value["customer_name"].split()
        assert first[0].isupper() and last[0].isupper() and "@" in value["contact_email"]
