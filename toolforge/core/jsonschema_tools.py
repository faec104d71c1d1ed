"""JSON Schema helpers shared by the test server and the tool simulator.

`instance_for(schema, rng)` builds a value that validates against `schema` (Draft 2020-12 subset):
`type` (one or a list), `const`, `enum`, `anyOf`/`oneOf` (one branch), `allOf` (object branches
merged), local `$ref` (`#/$defs/...`, `#/definitions/...`), `properties`/`required`,
`additionalProperties`, `items`/`prefixItems`, `minItems`/`maxItems`, `minLength`/`maxLength`,
`minimum`/`maximum` (and exclusive forms), `multipleOf`, and the common string `format`s.
Not covered: `pattern` (a plain word is returned), `not`, `if/then/else`, `dependentSchemas`,
remote `$ref`s. The same `rng` state gives the same value.
"""

from __future__ import annotations

import math
import random
import string
import uuid
from typing import Any

_WORDS = ["alpha", "bravo", "delta", "echo", "kilo", "lima", "oscar", "sierra", "tango", "zulu"]
_MAX_DEPTH = 12


def instance_for(schema: dict[str, Any] | bool, rng: random.Random, *, optional_p: float = 0.5) -> Any:
    """A value valid against `schema`; optional properties appear with probability `optional_p`."""
    return _Gen(schema if isinstance(schema, dict) else {}, rng, optional_p).value(schema, 0)


class _Gen:
    def __init__(self, root: dict[str, Any], rng: random.Random, optional_p: float) -> None:
        self.root = root
        self.rng = rng
        self.optional_p = optional_p

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema and seen < 32:
            ref = schema["$ref"]
            if not ref.startswith("#"):
                raise ValueError(f"only local $ref is supported, got {ref!r}")
            target: Any = self.root
            for part in [p for p in ref[1:].split("/") if p]:
                target = target[part.replace("~1", "/").replace("~0", "~")]
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest}
            seen += 1
        return schema

    def value(self, schema: dict[str, Any] | bool, depth: int) -> Any:
        if schema is True or schema == {} or schema is None:
            return self.rng.choice(_WORDS) if depth < _MAX_DEPTH else None
        if schema is False:
            raise ValueError("no value satisfies the schema `false`")
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.rng.choice(schema["enum"])
        if "allOf" in schema:
            merged = _merge_all_of([self.resolve(s) for s in schema["allOf"]])
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            return self.value(_merge_all_of([rest, merged]), depth)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                branches = schema[key]
                rest = {k: v for k, v in schema.items() if k != key}
                branch = self.resolve(branches[self.rng.randrange(len(branches))])
                if depth >= _MAX_DEPTH:  # prefer a leaf branch when deep, to end recursion
                    leaves = [b for b in map(self.resolve, branches) if _is_leaf(b)]
                    branch = leaves[0] if leaves else branch
                return self.value(_merge_all_of([rest, branch]) if rest else branch, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            choices = [k for k in kind if k != "null"] or kind
            if depth >= _MAX_DEPTH and "null" in kind:
                choices = ["null"]
            kind = self.rng.choice(choices)
        if kind is None:
            kind = _infer_type(schema)
        return getattr(self, f"gen_{kind}")(schema, depth)

    def gen_null(self, schema: dict[str, Any], depth: int) -> None:
        return None

    def gen_boolean(self, schema: dict[str, Any], depth: int) -> bool:
        return self.rng.random() < 0.5

    def gen_integer(self, schema: dict[str, Any], depth: int) -> int:
        low, high = _bounds(schema, integer=True)
        step = schema.get("multipleOf")
        if step:
            first, last = math.ceil(low / step), math.floor(high / step)
            return int(self.rng.randint(first, max(first, last)) * step)
        return self.rng.randint(int(low), int(max(low, high)))

    def gen_number(self, schema: dict[str, Any], depth: int) -> float | int:
        if schema.get("multipleOf"):
            return self.gen_integer(schema, depth)
        low, high = _bounds(schema, integer=False)
        return round(self.rng.uniform(low, high), 2) if high - low > 0.02 else low

    def gen_string(self, schema: dict[str, Any], depth: int) -> str:
        fmt = schema.get("format")
        if fmt in _FORMATS:
            return _FORMATS[fmt](self.rng)
        low = int(schema.get("minLength", 0))
        high = int(schema.get("maxLength", max(low, 12)))
        text = self.rng.choice(_WORDS)
        if len(text) < low:
            text += "".join(self.rng.choice(string.ascii_lowercase) for _ in range(low - len(text)))
        return text[: max(high, low)]

    def gen_array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        prefix = schema.get("prefixItems", [])
        items = schema.get("items", {} if not prefix else False)
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", max(low, len(prefix), 3)))
        count = self.rng.randint(max(low, len(prefix) if items is False else 0), max(low, high))
        if depth >= _MAX_DEPTH:
            count = low
        out = [self.value(prefix[i], depth + 1) for i in range(min(count, len(prefix)))]
        tries = 0
        while len(out) < count and items is not False and tries < count * 10:
            item = self.value(items, depth + 1)
            tries += 1
            if schema.get("uniqueItems") and item in out:
                continue
            out.append(item)
        return out

    def gen_object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        out: dict[str, Any] = {}
        for name, sub in props.items():
            if name in required or (depth < _MAX_DEPTH and self.rng.random() < self.optional_p):
                out[name] = self.value(sub, depth + 1)
        for name in required - out.keys():  # required but not described
            extra = schema.get("additionalProperties", True)
            out[name] = self.value(extra if isinstance(extra, dict) else {}, depth + 1)
        low = int(schema.get("minProperties", 0))
        extra = schema.get("additionalProperties", True)
        while len(out) < low and extra is not False:
            out[f"extra_{len(out)}"] = self.value(extra if isinstance(extra, dict) else {}, depth + 1)
        return out


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


def _bounds(schema: dict[str, Any], integer: bool) -> tuple[float, float]:
    eps = 1 if integer else 0.01
    low = schema.get("minimum", -math.inf)
    high = schema.get("maximum", math.inf)
    if "exclusiveMinimum" in schema:
        low = max(low, schema["exclusiveMinimum"] + eps)
    if "exclusiveMaximum" in schema:
        high = min(high, schema["exclusiveMaximum"] - eps)
    if integer:
        low = math.ceil(low) if low != -math.inf else low
        high = math.floor(high) if high != math.inf else high
    if low == -math.inf and high == math.inf:
        return 0, 100
    if low == -math.inf:
        return high - 100, high
    if high == math.inf:
        return low, low + 100
    return low, high


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


_FORMATS: dict[str, Any] = {
    "date-time": lambda r: (
        f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:00:00Z"
    ),
    "date": lambda r: f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    "time": lambda r: (
        f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00"
    ),  # what jsonschema and pydantic accept
    "email": lambda r: f"{r.choice(_WORDS)}@example.com",
    "uri": lambda r: f"https://example.com/{r.choice(_WORDS)}",
    "url": lambda r: f"https://example.com/{r.choice(_WORDS)}",
    "uuid": lambda r: str(uuid.UUID(int=r.getrandbits(128), version=4)),
    "hostname": lambda r: f"{r.choice(_WORDS)}.example.com",
    "ipv4": lambda r: ".".join(str(r.randint(1, 254)) for _ in range(4)),
}
