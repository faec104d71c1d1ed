"""JSON Schema helpers shared by the test server and the tool simulator.

`instance_for(schema, rng)` builds a value that validates against `schema` (Draft 2020-12 subset):
`type` (one or a list), `const`, `enum`, `anyOf`/`oneOf` (one branch), `allOf` (object branches
merged), `$ref` within the document (inlined by `toolforge.core.schema`), `properties`/`required`,
`additionalProperties`, `items`/`prefixItems`, `minItems`/`maxItems`, `minLength`/`maxLength`,
`minimum`/`maximum` (and exclusive forms), `multipleOf`, the common string `format`s and
`pattern` (what `toolforge.core.regex_sample` covers). Not covered: `not`, `if/then/else`,
`dependentSchemas`, remote `$ref`s. The same `rng` state gives the same value.

Leaves mean what their field's name says (`toolforge.core.values`): `due_date` is a date, `email`
an address, `title` a phrase of the domain that `topic` (the tool's name and description) names;
an object's derived fields agree (`toolforge.core.coherence`: totals, counts, end after start).
"""

from __future__ import annotations

import random
from typing import Any

from toolforge.core.coherence import match_email, order_times, reconcile
from toolforge.core.schema import resolved
from toolforge.core.values import (
    Hint,
    domain_of,
    is_person,
    number_value,
    singular,
    string_value,
    words,
)

_MAX_DEPTH = 12


def instance_for(
    schema: dict[str, Any] | bool,
    rng: random.Random,
    *,
    optional_p: float = 0.5,
    name: str = "",
    topic: str = "",
    entity: str = "",
) -> Any:
    """A value valid against `schema`; optional properties appear with probability `optional_p`.

    `name` is what the value is called (a field name such as `due_date`, or for an object the
    kind of record, such as `order`); `topic` is free text naming the domain (a tool's name and
    description) that titles and notes are drawn from; `entity` the kind of record the value
    belongs to (with it, a `status` leaf is an order's status)."""
    schema = resolved(schema)  # references inlined, recursion unrolled a bounded number of times
    root = schema if isinstance(schema, dict) else {}
    if not name and root.get("type") not in ("object", None) and isinstance(root.get("title"), str):
        name = root["title"]  # pydantic titles a field by its name ("Due Date")
    about = [topic, entity, name, str(root.get("title", "")), str(root.get("description", ""))]
    about += list(root.get("properties", {}) if isinstance(root.get("properties"), dict) else [])
    hint = Hint(name=name, entity=entity or _entity(name, root), domain=domain_of(" ".join(about)))
    return _Gen(root, rng, optional_p).value(schema, 0, hint)


def _entity(name: str, schema: dict[str, Any]) -> str:
    """The kind of record an object is: its name (`lines` → line), else its schema's title."""
    w = words(name) or words(str(schema.get("title", "")))
    if w and w[-1] == "id":
        w = w[:-1]
    return "_".join([*w[:-1], singular(w[-1])]) if w else ""


class _Gen:
    def __init__(self, root: dict[str, Any], rng: random.Random, optional_p: float) -> None:
        self.root = root
        self.rng = rng
        self.optional_p = optional_p

    def value(self, schema: dict[str, Any] | bool, depth: int, hint: Hint) -> Any:
        if schema is True or schema == {} or schema is None:
            return string_value({}, self.rng, hint) if depth < _MAX_DEPTH else None
        if schema is False:
            raise ValueError("no value satisfies the schema `false`")
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.rng.choice(schema["enum"])
        if "allOf" in schema:
            merged = _merge_all_of(list(schema["allOf"]))
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            return self.value(_merge_all_of([rest, merged]), depth, hint)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                branches = schema[key]
                rest = {k: v for k, v in schema.items() if k != key}
                branch = branches[self.rng.randrange(len(branches))]
                if depth >= _MAX_DEPTH:  # prefer a leaf branch when deep, to end recursion
                    leaves = [b for b in branches if _is_leaf(b)]
                    branch = leaves[0] if leaves else branch
                return self.value(_merge_all_of([rest, branch]) if rest else branch, depth, hint)
        kind = schema.get("type")
        if isinstance(kind, list):
            choices = [k for k in kind if k != "null"] or kind
            if depth >= _MAX_DEPTH and "null" in kind:
                choices = ["null"]
            kind = self.rng.choice(choices)
        if kind is None:
            kind = _infer_type(schema)
        return getattr(self, f"gen_{kind}")(schema, depth, hint)

    def gen_null(self, schema: dict[str, Any], depth: int, hint: Hint) -> None:
        return None

    def gen_boolean(self, schema: dict[str, Any], depth: int, hint: Hint) -> bool:
        return self.rng.random() < 0.5

    def gen_integer(self, schema: dict[str, Any], depth: int, hint: Hint) -> int:
        return int(number_value(schema, self.rng, hint, integer=True))

    def gen_number(self, schema: dict[str, Any], depth: int, hint: Hint) -> float | int:
        return number_value(schema, self.rng, hint, integer=False)

    def gen_string(self, schema: dict[str, Any], depth: int, hint: Hint) -> str:
        return string_value(schema, self.rng, hint)

    def gen_array(self, schema: dict[str, Any], depth: int, hint: Hint) -> list[Any]:
        prefix = schema.get("prefixItems", [])
        items = schema.get("items", {} if not prefix else False)
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", max(low, len(prefix), 3)))
        count = self.rng.randint(max(low, len(prefix) if items is False else 0), max(low, high))
        if depth >= _MAX_DEPTH:
            count = low
        # An item is named for one of the list: `tags` holds a `tag`, `order_ids` an `order_id`.
        item = Hint(name=_entity(hint.name, {}) + ("_id" if words(hint.name)[-1:] == ["ids"] else ""),
                    entity=hint.entity, domain=hint.domain)  # fmt: skip
        out = [self.value(prefix[i], depth + 1, item) for i in range(min(count, len(prefix)))]
        tries = 0
        while len(out) < count and items is not False and tries < count * 10:
            value = self.value(items, depth + 1, item)
            tries += 1
            if schema.get("uniqueItems") and value in out:
                continue
            out.append(value)
        return out

    def gen_object(self, schema: dict[str, Any], depth: int, hint: Hint) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        inner = Hint(
            entity=_entity(hint.name, schema) or _person_like(props) or hint.entity, domain=hint.domain
        )
        out: dict[str, Any] = {}
        for name, sub in props.items():
            if name in required or (depth < _MAX_DEPTH and self.rng.random() < self.optional_p):
                out[name] = self.value(sub, depth + 1, Hint(name, inner.entity, inner.domain))
        extra = schema.get("additionalProperties", True)
        for name in sorted(required - out.keys()):  # required but not described
            out[name] = self.value(
                extra if isinstance(extra, dict) else {}, depth + 1, Hint(name, inner.entity, inner.domain)
            )
        low = int(schema.get("minProperties", 0))
        while len(out) < low and extra is not False:
            key = f"extra_{len(out)}"
            out[key] = self.value(
                extra if isinstance(extra, dict) else {}, depth + 1, Hint(key, inner.entity, inner.domain)
            )
        if is_person(inner.entity):
            match_email(out, props)
        return order_times(reconcile(out, schema))


def _person_like(props: dict[str, Any]) -> str:
    """An object with a first name, or with both a name and an email, describes a person."""
    keys = {"_".join(words(k)) for k in props}
    return "person" if keys & {"first_name", "last_name"} or {"name", "email"} <= keys else ""


def _is_leaf(schema: dict[str, Any]) -> bool:
    return schema.get("type") not in ("object", "array") and "$ref" not in schema


def _infer_type(schema: dict[str, Any]) -> str:
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
        return "number"
    return "string"


def _merge_all_of(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key == "properties":
                merged.setdefault("properties", {}).update(value)
            elif key == "required":
                merged["required"] = sorted(set(merged.get("required", [])) | set(value))
            else:
                merged[key] = value
    return merged
