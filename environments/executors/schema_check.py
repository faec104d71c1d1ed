"""Fast yes/no validation: a JSON schema compiled once into plain Python checks.

`jsonschema`'s `is_valid` builds a validator object for every subschema it descends into, twice
per simulated call. The common keywords compiled into closures give the same answer in a fraction
of the time. The answer is exactly `Draft202012Validator(schema).is_valid(value)`
(no format checker): a subschema with a keyword not compiled here is checked by `jsonschema`
itself, and a schema that resolves references (`$ref`, `$id`, ...) is not compiled at all
(`compiled` returns None and the caller uses its own validator).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

Check = Callable[[Any], bool]

# Keywords jsonschema validates with (the rest — title, description, $defs, ... — it ignores).
_VALIDATING = frozenset(Draft202012Validator.VALIDATORS)
# Keywords whose meaning depends on the schema document around them: not compiled anywhere.
_DOCUMENT = frozenset({"$ref", "$dynamicRef", "$id", "$anchor", "$dynamicAnchor", "$schema", "$vocabulary"})


class _Unsupported(Exception):
    """A subschema this module does not compile: jsonschema checks it."""


class _Document(Exception):
    """A schema that resolves references: not compiled at all."""


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


_TYPES: dict[str, Check] = {
    "string": lambda x: isinstance(x, str),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unsupported
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Unsupported
    return value


def _type(value: Any, schema: dict[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or any(n not in _TYPES for n in names):
        raise _Unsupported
    checks = [_TYPES[n] for n in names]
    if len(checks) == 1:
        return checks[0]
    return lambda x: any(c(x) for c in checks)


def _properties(value: Any, schema: dict[str, Any]) -> Check:
    if not isinstance(value, dict):
        raise _Unsupported
    props = [(k, _compile(v)) for k, v in value.items()]

    def check(x: Any) -> bool:
        if not isinstance(x, dict):
            return True
        for key, sub in props:
            if key in x and not sub(x[key]):
                return False
        return True

    return check


def _required(value: Any, schema: dict[str, Any]) -> Check:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise _Unsupported
    return lambda x: not isinstance(x, dict) or all(k in x for k in value)


def _additional(value: Any, schema: dict[str, Any]) -> Check:
    known = schema.get("properties", {})
    if not isinstance(known, dict) or "patternProperties" in schema:
        raise _Unsupported
    if not isinstance(value, dict | bool):
        raise _Unsupported
    sub = _compile(value)
    return lambda x: not isinstance(x, dict) or all(sub(v) for k, v in x.items() if k not in known)


def _items(value: Any, schema: dict[str, Any]) -> Check:
    if "prefixItems" in schema:
        raise _Unsupported
    sub = _compile(value)
    return lambda x: not isinstance(x, list) or all(sub(i) for i in x)


def _enum(value: Any, schema: dict[str, Any]) -> Check:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Unsupported  # jsonschema's equality keeps 1, 1.0 and True apart: only strings here
    allowed = frozenset(value)
    return lambda x: isinstance(x, str) and x in allowed


def _const(value: Any, schema: dict[str, Any]) -> Check:
    if not isinstance(value, str):
        raise _Unsupported
    return lambda x: isinstance(x, str) and x == value


def _bound(fails: Callable[[Any, float], bool]) -> Callable[[Any, dict[str, Any]], Check]:
    """A number keyword; `fails` is jsonschema's own failing comparison (so NaN passes, as there)."""

    def build(value: Any, schema: dict[str, Any]) -> Check:
        limit = _number(value)
        return lambda x: not _is_number(x) or not fails(x, limit)

    return build


def _length(applies: type, fails: Callable[[int, int], bool]) -> Callable[[Any, dict[str, Any]], Check]:
    def build(value: Any, schema: dict[str, Any]) -> Check:
        limit = _count(value)
        return lambda x: not isinstance(x, applies) or not fails(len(x), limit)

    return build


def _branches(value: Any) -> list[Check]:
    if not isinstance(value, list) or not value:
        raise _Unsupported
    return [_compile(v) for v in value]


def _any_of(value: Any, schema: dict[str, Any]) -> Check:
    subs = _branches(value)
    return lambda x: any(s(x) for s in subs)


def _all_of(value: Any, schema: dict[str, Any]) -> Check:
    subs = _branches(value)
    return lambda x: all(s(x) for s in subs)


def _one_of(value: Any, schema: dict[str, Any]) -> Check:
    subs = _branches(value)
    return lambda x: sum(1 for s in subs if s(x)) == 1


def _not(value: Any, schema: dict[str, Any]) -> Check:
    sub = _compile(value)
    return lambda x: not sub(x)


_KEYWORDS: dict[str, Callable[[Any, dict[str, Any]], Check]] = {
    "type": _type,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional,
    "items": _items,
    "enum": _enum,
    "const": _const,
    "minimum": _bound(lambda x, m: x < m),
    "maximum": _bound(lambda x, m: x > m),
    "exclusiveMinimum": _bound(lambda x, m: x <= m),
    "exclusiveMaximum": _bound(lambda x, m: x >= m),
    "minLength": _length(str, lambda n, m: n < m),
    "maxLength": _length(str, lambda n, m: n > m),
    "minItems": _length(list, lambda n, m: n < m),
    "maxItems": _length(list, lambda n, m: n > m),
    "anyOf": _any_of,
    "allOf": _all_of,
    "oneOf": _one_of,
    "not": _not,
}


def _compile(schema: Any) -> Check:
    if schema is True:
        return _always
    if schema is False:
        return _never
    if not isinstance(schema, dict):
        raise _Unsupported
    if any(k in _DOCUMENT for k in schema):
        raise _Document
    checks: list[Check] = []
    try:
        for key, value in schema.items():
            if key in _KEYWORDS:
                checks.append(_KEYWORDS[key](value, schema))
            elif key in _VALIDATING and key != "format":  # format: an annotation without a checker
                raise _Unsupported
    except _Unsupported:
        if _refers(schema):  # checked on its own, a reference inside would resolve against it
            raise _Document from None
        return Draft202012Validator(schema).is_valid  # this subschema as jsonschema checks it
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def check(x: Any) -> bool:
        for c in checks:
            if not c(x):
                return False
        return True

    return check


def _refers(schema: Any) -> bool:
    if isinstance(schema, dict):
        return any(k in _DOCUMENT for k in schema) or any(_refers(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_refers(v) for v in schema)
    return False


# Compiled checks by schema object; the schema is kept so its id cannot be reused.
_CACHE: dict[int, tuple[Any, Check | None]] = {}


def _build(schema: Any) -> Check | None:
    if not isinstance(schema, dict | bool):
        return None
    try:
        return _compile(schema)
    except (_Document, _Unsupported):
        return None


def compiled(schema: Any) -> Check | None:
    """The check of `schema`, built once per schema object; None for a schema that is not a dict
    or boolean, or that uses document keywords (`$ref`, `$id`, `$schema`, ...) where they count
    (`$defs` that nothing refers to do not)."""
    found = _CACHE.get(id(schema))
    if found is None or found[0] is not schema:
        found = _CACHE[id(schema)] = (schema, _build(schema))
    return found[1]
