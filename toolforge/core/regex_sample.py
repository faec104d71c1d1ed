"""A string that a regular expression matches, drawn from the caller's random stream.

Covers what tool schemas write in `pattern`: literals, classes and ranges, `\\d \\w \\s` and their
negations, `.`, groups, alternation and repeats. Lookarounds, backreferences and conditionals are
not covered: `regex_sample` returns None for them (and for anything its own draw fails to match).
"""

from __future__ import annotations

import random
import re
import string
from re import _parser  # pyright: ignore[reportAttributeAccessIssue]  # the stdlib's own regex parser (3.11+): no public equivalent, no stub
from typing import Any

_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters,
    "CATEGORY_WORD": string.ascii_letters + string.digits,
    "CATEGORY_NOT_WORD": "-.,:; ",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": string.ascii_letters + string.digits,
}
_PRINTABLE = string.ascii_letters + string.digits + "-_."
_MAX_EXTRA = 3  # an open repeat (`+`, `*`, `{2,}`) draws at most this many beyond its minimum


class _Unsupported(Exception):
    pass


def regex_sample(pattern: str, rng: random.Random) -> str | None:
    try:
        parsed = _parser.parse(pattern)
        text = "".join(_emit(parsed, rng))
    except (_Unsupported, re.error, RecursionError):
        return None
    return text if re.search(pattern, text) else None


def _emit(items: Any, rng: random.Random) -> list[str]:
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(rng.choice([c for c in _PRINTABLE if ord(c) != arg]))
        elif name == "ANY":
            out.append(rng.choice(string.ascii_letters))
        elif name == "IN":
            out.append(_in(arg, rng))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            top = low + _MAX_EXTRA if high == _parser.MAXREPEAT else min(high, low + _MAX_EXTRA)
            for _ in range(rng.randint(low, max(low, top))):
                out += _emit(sub, rng)
        elif name == "SUBPATTERN":
            out += _emit(arg[-1], rng)
        elif name == "ATOMIC_GROUP":
            out += _emit(arg, rng)
        elif name == "BRANCH":
            out += _emit(rng.choice(arg[1]), rng)
        elif name == "AT":
            continue  # anchors match where the string starts and ends
        else:
            raise _Unsupported(name)
    return out


def _in(items: list[tuple[Any, Any]], rng: random.Random) -> str:
    allowed: list[str] = []
    negate = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            allowed.append(chr(arg))
        elif name == "RANGE":
            allowed += [chr(c) for c in range(arg[0], min(arg[1], arg[0] + 200) + 1)]
        elif name == "CATEGORY":
            allowed += list(_CATEGORIES.get(str(arg), ""))
        else:
            raise _Unsupported(name)
    if negate:
        allowed = [c for c in _PRINTABLE if c not in allowed]
    if not allowed:
        raise _Unsupported("empty class")
    return rng.choice(allowed)
