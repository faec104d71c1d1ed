"""A fast yes/no validity check: fastjsonschema's compiled code, used only where it means exactly
what jsonschema means, so the answer is jsonschema's (`validator.is_valid`) in less time.

Executors ask "is this valid?" on every simulated call (the fitted output, the call's arguments);
jsonschema answers by building a validator object for each subschema it descends into. A schema is
compiled only when every keyword in it has one meaning in the dialect it is read in and in the draft
fastjsonschema compiles it as: draft-04, -06 and -07 as themselves, 2019-09 and 2020-12 as draft-07
when they use only the keywords the two share. Anything else is left to jsonschema (`compiled`
returns None): `multipleOf` (fastjsonschema rounds floats differently), `$id`, a `$ref` that is not a
pointer into this document or that has validating siblings (2019-09 on apply them, draft-07 ignores
them), `prefixItems`, `unevaluated*`, `dependent*`, `$dynamicRef`, content keywords, keywords it
does not know. `format` is ignored by both (jsonschema checks it only with a format checker),
`default` is never filled in, and a `pattern`'s `$` is rewritten to what Python's `$` means
(fastjsonschema reads it as end of string). The values checked are JSON documents: fastjsonschema
would take a tuple for an array, jsonschema would not. Agreement is tested by property tests
(tests/core/schema/test_fast_agrees.py).

`TOOLFORGE_SCHEMA_CHECK=jsonschema` (or `use_fast(False)`) turns the fast check off everywhere.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from typing import Any

import fastjsonschema
from fastjsonschema.exceptions import JsonSchemaDefinitionException, JsonSchemaValueException

from toolforge.core.schema.walk import LISTS, MAPS, SINGLE

Check = Callable[[Any], bool]
CHECK_ENV = "TOOLFORGE_SCHEMA_CHECK"
COMPILED_MAX = 4096

_DRAFTS = {
    "draft-04": "http://json-schema.org/draft-04/schema#",
    "draft-06": "http://json-schema.org/draft-06/schema#",
    "draft-07": "http://json-schema.org/draft-07/schema#",
}
# No validation in any dialect (`format`: not without a format checker, which we never pass).
_ANNOTATIONS = frozenset(
    {"$schema", "$comment", "title", "description", "default", "examples", "readOnly", "writeOnly",
     "deprecated", "format", "$defs", "definitions"}
)  # fmt: skip
# One meaning from draft-06 to 2020-12 (draft-04 lacks some; fastjsonschema's draft-04 and
# jsonschema's Draft4Validator both ignore those).
_SHARED = frozenset(
    {"type", "enum", "const", "properties", "required", "additionalProperties", "patternProperties",
     "minProperties", "maxProperties", "propertyNames", "items", "minItems", "maxItems", "uniqueItems",
     "contains", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
     "pattern", "allOf", "anyOf", "oneOf", "not", "if", "then", "else"}
)  # fmt: skip
# Draft-04..07 only: tuple `items`, `additionalItems` and `dependencies` mean something else (or
# nothing) in 2019-09 and 2020-12.
_OLD_ONLY = frozenset({"additionalItems", "dependencies"})
_INLINE_FLAGS = re.compile(r"\(\?[aiLmsux-]")


def fast_on_by_default() -> bool:
    return os.environ.get(CHECK_ENV, "fast") != "jsonschema"


class _Switch:
    on = fast_on_by_default()


def use_fast(on: bool) -> None:
    """Turn the fast check on or off for every prepared schema (benches compare the two)."""
    _Switch.on = on


def fast_on() -> bool:
    return _Switch.on


def compiled(schema: Any, dialect_uri: str) -> Check | None:
    """A check equal to jsonschema's `is_valid` for `schema` read in `dialect_uri`, or None when
    `schema` uses something fastjsonschema does not mean the same way."""
    draft = next((uri for name, uri in _DRAFTS.items() if name in dialect_uri), None)
    old = draft is not None
    if not isinstance(schema, dict) or not _same_meaning(schema, old):
        return None
    text = json.dumps(_dollars_rewritten(schema), ensure_ascii=False, separators=(",", ":"))
    return _compile(text, draft or _DRAFTS["draft-07"])


@functools.lru_cache(maxsize=COMPILED_MAX)
def _compile(text: str, draft: str) -> Check | None:
    definition = {**json.loads(text), "$schema": draft}
    try:
        # detailed_exceptions=False breaks `const` in fastjsonschema 2.22; the details cost only
        # on failure.
        validate = fastjsonschema.compile(definition, use_default=False, use_formats=False)
    except (JsonSchemaDefinitionException, re.error, ValueError, TypeError, KeyError, RecursionError):
        return None  # jsonschema checks what fastjsonschema cannot compile

    def check(value: Any) -> bool:
        try:
            validate(value)
        except JsonSchemaValueException:
            return False
        return True

    return check


def _same_meaning(node: Any, old: bool) -> bool:
    """Whether every keyword in `node` (and its subschemas) is one fastjsonschema reads as
    jsonschema does in this dialect (`old`: draft-04, -06 or -07)."""
    if isinstance(node, bool):
        return True
    if not isinstance(node, dict):
        return False
    ref = node.get("$ref")
    if ref is not None:
        siblings = node.keys() - {"$ref"}
        if not isinstance(ref, str) or not ref.startswith("#"):
            return False
        if not old and siblings - _ANNOTATIONS:
            return False
    for key, value in node.items():
        if key == "$ref" or key in ("default", "examples", "enum", "const"):
            continue
        if key not in _ANNOTATIONS and key not in _SHARED and not (old and key in _OLD_ONLY):
            return False
        if key == "items" and isinstance(value, list) and not old:
            return False
        if key == "pattern" and (not isinstance(value, str) or _INLINE_FLAGS.search(value)):
            return False
        if key == "patternProperties" and any(_INLINE_FLAGS.search(p) for p in value):
            return False
        if key == "dependencies" and isinstance(value, dict):
            if not all(isinstance(v, list) or _same_meaning(v, old) for v in value.values()):
                return False
        elif key in MAPS and isinstance(value, dict):
            if not all(_same_meaning(v, old) for v in value.values()):
                return False
        elif key in LISTS and isinstance(value, list):
            if not all(_same_meaning(v, old) for v in value):
                return False
        elif key in SINGLE and not _same_meaning(value, old):
            return False
    return True


def _dollars_rewritten(node: Any) -> Any:
    """`node` with each `pattern`'s `$` written so fastjsonschema leaves it alone (see `python_dollar`)."""
    if isinstance(node, list):
        return [_dollars_rewritten(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("default", "examples", "enum", "const"):
            out[key] = value
        elif key == "pattern" and isinstance(value, str):
            out[key] = python_dollar(value)
        elif key in MAPS and isinstance(value, dict):
            out[key] = {n: _dollars_rewritten(v) for n, v in value.items()}
        else:
            out[key] = _dollars_rewritten(value)
    return out


def python_dollar(pattern: str) -> str:
    """`pattern` with no unescaped `$`: an anchor becomes `(?=\\n?\\Z)` (what `$` means to Python's
    `re` without MULTILINE), a `$` inside a class becomes `\\$`. fastjsonschema turns every
    unescaped `$` into `\\Z`, which refuses a trailing newline that jsonschema (`re.search`) accepts."""
    out: list[str] = []
    i, opened = 0, -1  # where the class being read opened (-1: outside any class)
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if opened >= 0:
            # A `]` right after `[` or `[^` is a literal member, not the class's end.
            first = opened + (2 if pattern[opened + 1 : opened + 2] == "^" else 1)
            if ch == "]" and i > first:
                opened = -1
            out.append("\\$" if ch == "$" else ch)
        elif ch == "[":
            opened = i
            out.append(ch)
        else:
            out.append(r"(?=\n?\Z)" if ch == "$" else ch)
        i += 1
    return "".join(out)
