"""A tool's output built from what the world holds: the stored record's fields where the output
schema has a place for them, and values that mean what their fields mean everywhere else.

A value the store lacks is drawn from a stream seeded by the record it belongs to (its kind, its
id and the field's name), not by the call: every read of a record shows the same values, whichever
tool reads it. Values that belong to no record (a message, a page token) are seeded by the call.
A nested object that a record refers to by id (`customer` beside `customer_id`) is that record.
Derived numbers are recomputed (`toolforge.core.coherence`), and the result is checked against
the schema once; a result that does not validate is rebuilt field by field.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from environments.episodes.executors.store import EntityStore, ref_kind
from environments.episodes.state import State, plural
from toolforge.core.coherence import match_email, order_times, reconcile
from toolforge.core.ids import digest
from toolforge.core.jsonschema_tools import instance_for
from toolforge.core.schema import SchemaRejected, prepare, resolved
from toolforge.core.values import is_person, singular, words

OPTIONAL_P = 0.5  # how often an optional output field the store lacks is shown
# Names of objects that wrap the call's record rather than being a record of their own kind.
WRAPPERS = frozenset(
    {"data", "result", "results", "record", "item", "details", "payload", "object", "entity"}
)
_COUNTS = frozenset({"count", "total", "total_count", "num_results", "total_results", "result_count", "size"})

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def valid(schema: Any, value: Any) -> bool:
    """Whether `value` validates against `schema` (a part of a resolved schema: its dialect is
    written in it) with the validator the schema service prepared."""
    if not isinstance(schema, dict):
        return schema is not False
    try:
        return prepare(schema).is_valid(value)
    except SchemaRejected:
        return False  # a part no validator accepts holds no value; the caller falls back


def type_ok(schema: dict[str, Any], value: Any) -> bool:
    """A cheap look at `type`, `enum` and `const` only (the full check comes once, at the end)."""
    if "const" in schema:
        return bool(value == schema["const"])
    if "enum" in schema:
        return value in schema["enum"]
    kind = schema.get("type")
    if kind is None:
        return True
    kinds = kind if isinstance(kind, list) else [kind]
    if isinstance(value, bool) and "boolean" not in kinds:
        return False
    return any(isinstance(value, _JSON_TYPES.get(k, ())) for k in kinds)


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()
    if not kinds and "properties" in schema:
        kinds.add("object")
    if not kinds and "items" in schema:
        kinds.add("array")
    return kinds


def _record_kind(name: str, parent: str) -> str:
    """The kind of record an object named `name` holds (`lines` → line; `data` → its parent's)."""
    w = words(name)
    if not w or name in WRAPPERS:
        return parent
    return "_".join([*w[:-1], singular(w[-1])])


@dataclass
class Fitter:
    """Shows values of the world in a tool's output schema.

    `kind` is the kind of record the call is about, `topic` the tool's words (for the domain of
    invented phrases), `seed` the call's seed, `salt` what record seeds are mixed with (empty, so
    reads agree; a create passes its call seed, so new records differ between episodes)."""

    state: State
    kind: str
    topic: str
    seed: str
    salt: str = ""

    def show(self, schema: dict[str, Any] | None, value: Any) -> Any:
        if schema is None:
            return value
        full: dict[str, Any] = resolved(schema)
        out = self.fit(full, value, self.kind, self.seed, self.kind)
        if valid(full, out):
            return out
        rng = random.Random(self.seed)
        return _overlay(full, instance_for(full, rng, optional_p=OPTIONAL_P, topic=self.topic), value, rng)

    # ---- one value ----

    def fit(self, schema: Any, value: Any, name: str, seed: str, entity: str) -> Any:
        if not isinstance(schema, dict):
            return value
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                rest = {k: v for k, v in schema.items() if k != key}
                for branch in schema[key]:
                    merged = {**rest, **branch} if isinstance(branch, dict) else rest
                    if type_ok(merged, value) and (
                        not _types(merged) or _types(merged) & _value_types(value)
                    ):
                        return self.fit(merged, value, name, seed, entity)
                return self.invent(schema, name, seed, entity)
        kinds = _types(schema)
        if isinstance(value, dict) and "object" in kinds:
            return self.fit_object(schema, value, name, seed, entity)
        if isinstance(value, list) and "object" in kinds and "array" not in kinds:
            return self.fit_listing(schema, value, name, seed, entity)
        if isinstance(value, list) and "array" in kinds:
            return self.fit_array(schema, value, name, seed, entity)
        if isinstance(value, dict) and value and "array" in kinds:
            return self.fit_array(schema, [value], name, seed, entity)
        if not isinstance(value, dict | list) and type_ok(schema, value):
            return value
        if isinstance(value, dict) and isinstance(value.get("id"), str) and type_ok(schema, value["id"]):
            return value["id"]  # a record where the schema has room for a string: its id
        return self.invent(schema, name, seed, entity)

    def invent(self, schema: dict[str, Any], name: str, seed: str, entity: str) -> Any:
        """A value the world does not hold: an id of a record that exists where the field refers
        to a kind the store keeps, else a value of the field's meaning."""
        kind = ref_kind(name) or (entity if name == "id" else None)
        if kind and _types(schema) <= {"string"} and "enum" not in schema and "const" not in schema:
            ids = sorted(EntityStore(self.state).records(kind))
            if ids:
                return random.Random(seed).choice(ids)
        rng = random.Random(seed)
        return instance_for(schema, rng, optional_p=OPTIONAL_P, name=name, topic=self.topic, entity=entity)

    def record_seed(self, kind: str, rid: str | int) -> str:
        return digest([self.salt, plural(kind), str(rid)])

    def field_value(self, kind: str, record: dict[str, Any], prop: str, schema: dict[str, Any]) -> Any:
        """What a read shows for a record's field: the stored value, else the value invented for
        it (the same draw `fit_object` makes)."""
        if prop in record:
            return record[prop]
        return self.invent(schema, prop, f"{self.record_seed(kind, record.get('id', ''))}/{prop}", kind)

    # ---- containers ----

    def fit_object(
        self, schema: dict[str, Any], value: dict[str, Any], name: str, seed: str, entity: str
    ) -> Any:
        props: dict[str, Any] = schema.get("properties") or {}
        if not props:
            return value
        kind = _record_kind(name, entity)
        rid = value.get("id", value.get(f"{kind}_id"))
        if isinstance(rid, str | int) and not isinstance(rid, bool):
            seed = self.record_seed(kind, rid)
        else:
            rid = None
        required = set(schema.get("required", []))
        store = EntityStore(self.state)
        out: dict[str, Any] = {}
        invented: set[str] = set()
        for prop, sub in props.items():
            sub = sub if isinstance(sub, dict) else {}
            field_seed = f"{seed}/{prop}"
            linked = (
                store.get(_record_kind(prop, ""), str(value[f"{prop}_id"])) if f"{prop}_id" in value else None
            )
            if rid is not None and (prop == "id" or ref_kind(prop) == kind) and type_ok(sub, rid):
                out[prop] = rid  # the record's own id, under whichever name this output gives it
            elif prop in value:
                out[prop] = self.fit(sub, value[prop], prop, field_seed, kind)
            elif "object" in _types(sub) and linked is not None:
                out[prop] = self.fit(sub, linked, prop, field_seed, kind)  # `customer` of `customer_id`
            elif "object" in _types(sub) and (prop in WRAPPERS or _record_kind(prop, "") == kind):
                out[prop] = self.fit(sub, value, prop, seed, kind)  # an envelope around this record
            elif (copied := _from_linked(prop, sub, value, store)) is not None:
                out[prop] = copied  # `customer_name` is the name of the record `customer_id` names
            elif prop in required or random.Random(f"{kind}/{prop}?").random() < OPTIONAL_P:
                # Whether an optional field shows depends on the kind, not the record: the records
                # of one list all have the same fields.
                out[prop] = self.invent(sub, prop, field_seed, kind)
                invented.add(prop)
        reconcile(out, schema)
        order_times(out, invented)
        if is_person(kind) and "email" in invented:
            match_email(out, props)
        return out

    def fit_array(
        self, schema: dict[str, Any], value: list[Any], name: str, seed: str, entity: str
    ) -> list[Any]:
        items = schema.get("items", {})
        item_name = _record_kind(name, entity)
        out = [self.fit(items, v, item_name, f"{seed}/{i}", entity) for i, v in enumerate(value)]
        high = schema.get("maxItems")
        if isinstance(high, int):
            out = out[:high]
        low = int(schema.get("minItems", 0))
        while len(out) < low:
            out.append(
                self.invent(items if isinstance(items, dict) else {}, item_name, f"{seed}/{len(out)}", entity)
            )
        return out

    def fit_listing(self, schema: dict[str, Any], value: list[Any], name: str, seed: str, entity: str) -> Any:
        """A list of records shown in an object: the records under its array field, counts set."""
        props: dict[str, Any] = schema.get("properties") or {}
        field = listing_field(schema, self.kind)
        if field is None:
            return (
                self.fit_object(schema, value[0], name, seed, entity)
                if len(value) == 1
                else self.invent(schema, name, seed, entity)
            )
        required = set(schema.get("required", []))
        out: dict[str, Any] = {}
        for prop, sub in props.items():
            sub = sub if isinstance(sub, dict) else {}
            if prop == field:
                out[prop] = self.fit_array(sub, value, prop, f"{seed}/{prop}", entity)
            elif prop in _COUNTS and type_ok(sub, len(value)):
                out[prop] = len(value)
            elif prop in required or random.Random(f"{seed}/{prop}?").random() < OPTIONAL_P:
                out[prop] = self.invent(sub, prop, f"{seed}/{prop}", entity)
        return out


def _from_linked(prop: str, sub: dict[str, Any], value: dict[str, Any], store: EntityStore) -> Any:
    """The value of `prop` held by a record this one refers to by `<kind>_id`: `customer_name`
    is the customer's `name`, `unit_price` the product's `price`; and a line (an object with no
    id of its own) takes the product's fields of the same name."""
    w = words(prop)
    for param, ref in value.items():
        kind = ref_kind(param)
        linked = store.get(kind, str(ref)) if kind is not None and isinstance(ref, str | int) else None
        if linked is None or kind is None or prop == "id":
            continue
        kw = words(kind)
        names = [prop] if "id" not in value else []
        if w[:1] == ["unit"]:
            names.append("_".join(w[1:]))
        if len(w) > len(kw) and w[: len(kw)] == kw:
            names.append("_".join(w[len(kw) :]))
        for name in names:
            if name in linked and name != "id" and type_ok(sub, linked[name]):
                return linked[name]
    return None


def listing_field(schema: dict[str, Any], kind: str) -> str | None:
    """The array field of an object that lists records: the one named for `kind` (`tickets`), or
    a generic one (`items`, `results`), else the first array."""
    props = schema.get("properties") or {}
    arrays = [k for k, s in props.items() if isinstance(s, dict) and "array" in _types(s)]
    preferred = [k for k in arrays if _record_kind(k, "") == kind or k in WRAPPERS or k == "items"]
    return (preferred or arrays or [None])[0]


def listing_items(schema: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
    """The schema of one listed record in an output schema (already inlined), if it lists any."""
    if schema is None:
        return None
    if "array" in _types(schema):
        items = schema.get("items")
        return items if isinstance(items, dict) else None
    field = listing_field(schema, kind) if "object" in _types(schema) else None
    items = schema["properties"][field].get("items") if field else None
    return items if isinstance(items, dict) else None


def _value_types(value: Any) -> set[str]:
    if isinstance(value, bool):
        return {"boolean"}
    if isinstance(value, int):
        return {"integer", "number"}
    return {k for k, types in _JSON_TYPES.items() if isinstance(value, types) and k != "integer"}


def fit_output(
    schema: dict[str, Any] | None,
    value: Any,
    rng: random.Random,
    *,
    kind: str = "",
    state: State | None = None,
    topic: str = "",
) -> Any:
    """`value` shown in `schema` (see `Fitter`); `rng` seeds the values that belong to no record."""
    return Fitter(state if state is not None else {}, kind, topic, str(rng.random())).show(schema, value)


def _overlay(schema: dict[str, Any], base: Any, value: Any, rng: random.Random) -> Any:
    """The exact fallback: `base` (valid) with each of `value`'s fields that validates laid over."""
    if valid(schema, value):
        return value
    props: dict[str, Any] = schema.get("properties", {})
    if isinstance(base, dict) and isinstance(value, dict) and props:
        out = dict(base)
        for key, sub in props.items():
            if key in value and valid(sub, value[key]):
                out[key] = value[key]
            elif key not in value and isinstance(sub, dict) and sub.get("type") == "object":
                out[key] = _overlay(sub, out.get(key, instance_for(sub, rng, name=key)), value, rng)
        return out if valid(schema, out) else base
    if isinstance(base, dict) and isinstance(value, list) and props:
        out = dict(base)
        for key, sub in props.items():
            if isinstance(sub, dict) and sub.get("type") == "array":
                items = sub.get("items", {})
                out[key] = [_overlay(items, instance_for(items, rng, name=key), v, rng) for v in value]
                break
        for key in _COUNTS & props.keys():
            if valid(props[key], len(value)):
                out[key] = len(value)
        return out if valid(schema, out) else base
    if isinstance(base, list) and isinstance(value, list):
        items = schema.get("items", {})
        fitted = [_overlay(items, instance_for(items, rng), v, rng) for v in value]
        return fitted if valid(schema, fitted) else base
    return base
