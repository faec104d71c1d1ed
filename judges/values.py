"""The values a message states — ids, numbers, dates, times and names — and the evidence that
grounds them (what the user said, the system prompt, the tool results).

Used by the grounding check: a value the agent states must come from somewhere it was shown. The
extraction is deliberately conservative (a false alarm rejects a good trajectory): single digits
are counting words, capitalised words opening a sentence are not names, a dollar amount is the
same value as its cents, a date is the same in ISO and in words, and a number may be derived
from two shown ones (2 × 2599 = 5198).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import combinations_with_replacement
from typing import Any, Literal

Kind = Literal["id", "number", "date", "time", "name"]

_URL = re.compile(r"\bhttps?://\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
# cus_ada, ord_0001, customer_0002, order-123, INV-2024-001, T-1, ORD12345
_SNAKE = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?![\w-])")
_HYPHEN = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+(?![\w-])")
_CODE = re.compile(r"(?<![\w-])[A-Z]{2,}\d{2,}(?![\w-])")

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ISO_DATE = re.compile(
    r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
)
_MONTH_DAY = re.compile(
    rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{{4}}))?\b", re.IGNORECASE
)
_DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(?P<y>\d{{4}}))?\b", re.IGNORECASE
)
_SLASH_DATE = re.compile(r"\b(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})\b")
_TIME = re.compile(
    r"\b(?P<H>\d{1,2})(?::(?P<M>\d{2})(?::\d{2})?)?\s*(?P<ampm>[ap])\.?m\b\.?|\b(?P<H2>\d{1,2}):(?P<M2>\d{2})(?::\d{2})?\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.])\d+(?:\.\d+)?(?![\w])")
# A word, hyphenated ones whole: "Year-end" is one name, not "Year".
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*")
# A capitalised word right after one of these opens a sentence or a clause: not a name.
_CLAUSE_START = re.compile(r"(?:^|[.!?:;\n(\[\"'“‘*•—–-])\s*$")
# Capitalised words that are not names of things in the world.
_NOT_NAMES = {
    "i",
    "i'm",
    "i'll",
    "i've",
    "i'd",
    "ok",
    "okay",
    "yes",
    "no",
    "hi",
    "hello",
    "hey",
    "dear",
    "thanks",
    "thank",
    "please",
    "sure",
    "mr",
    "mrs",
    "ms",
    "dr",
    "am",
    "pm",
    "id",
    "ids",
    "usd",
    "eur",
    "gbp",
    "utc",
    "gmt",
    "faq",
    "api",
    "url",
    "sku",
    "eta",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    *_MONTHS,
}
MAX_OPERANDS = 48  # numbers used for derived values (pairs: ~1,200 products, sums, differences)


@dataclass(frozen=True)
class Mention:
    """A value as a message states it: `text` as written, `key` normalised for comparison."""

    kind: Kind
    text: str
    key: Any


def _mask(text: str, span: tuple[int, int]) -> str:
    start, end = span
    return text[:start] + " " * (end - start) + text[end:]


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _time_key(hour: int, minute: int, ampm: str | None) -> int | None:
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return hour * 60 + minute


def _ids(text: str) -> tuple[list[Mention], str]:
    out: list[Mention] = []
    for m in _URL.finditer(text):  # links are left alone: masked, never judged
        text = _mask(text, m.span())
    for pattern in (_EMAIL, _UUID, _SNAKE, _HYPHEN, _CODE):
        for m in pattern.finditer(text):
            token = m.group(0)
            # A hyphenated word ("follow-up") is an id only with a digit in it ("order-123").
            if pattern is _HYPHEN and not any(c.isdigit() for c in token):
                continue
            out.append(Mention("id", token, token.lower()))
            text = _mask(text, m.span())
    return out, text


def _dates(text: str) -> tuple[list[Mention], str]:
    out: list[Mention] = []
    for m in _ISO_DATE.finditer(text):
        key = (int(m["m"]), int(m["d"]), int(m["y"]))
        out.append(Mention("date", m.group(0), key))
        if m["H"] is not None:
            out.append(Mention("time", m.group(0), _time_key(int(m["H"]), int(m["M"]), None)))
        text = _mask(text, m.span())
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        for m in pattern.finditer(text):
            if not 1 <= int(m["d"]) <= 31:
                continue
            year = int(m["y"]) if m["y"] else None
            out.append(Mention("date", m.group(0), (_MONTHS[m["month"].lower()], int(m["d"]), year)))
            text = _mask(text, m.span())
    for m in _SLASH_DATE.finditer(text):
        a, b, year = int(m["a"]), int(m["b"]), int(m["y"])
        # 03/14/2025 or 14/03/2025: both readings are kept, either may be grounded
        readings = {(a, b, year), (b, a, year)}
        out.append(Mention("date", m.group(0), frozenset(readings)))
        text = _mask(text, m.span())
    for m in _TIME.finditer(text):
        if m["H"] is not None:
            key = _time_key(int(m["H"]), int(m["M"] or 0), m["ampm"])
        else:
            key = _time_key(int(m["H2"]), int(m["M2"]), None)
        if key is not None:
            out.append(Mention("time", m.group(0), key))
            text = _mask(text, m.span())
    return out, text


def _numbers(text: str) -> tuple[list[Mention], str]:
    out: list[Mention] = []
    for m in _NUMBER.finditer(text):
        value = _decimal(m.group(0))
        if value is not None:
            out.append(Mention("number", m.group(0), value))
        text = _mask(text, m.span())
    return out, text


def _names(text: str) -> list[Mention]:
    out: list[Mention] = []
    for m in _WORD.finditer(text):
        word = m.group(0).rstrip("'’")
        if not word[0].isupper() or len(word) < 3 or word.lower() in _NOT_NAMES:
            continue
        if word.lower().endswith(("'s", "’s")):
            word = word[:-2]
        if _CLAUSE_START.search(text[: m.start()]):
            continue
        out.append(Mention("name", word, word.lower()))
    return out


def mentions(text: str) -> list[Mention]:
    """Every id, date, time, number and name `text` states, each span read once (an id's digits
    are not also a number)."""
    ids, rest = _ids(text)
    dates, rest = _dates(rest)
    numbers, rest = _numbers(rest)
    return [*ids, *dates, *numbers, *_names(rest)]


def checked(mention: Mention) -> bool:
    """Whether a mention in the agent's words must be grounded: single digits are counting words."""
    if mention.kind != "number":
        return True
    value: Decimal = mention.key
    return value != value.to_integral_value() or abs(value) >= 10 or "." in mention.text


def parse_json(text: str | None) -> Any:
    try:
        return json.loads(text or "")
    except (ValueError, TypeError):
        return None


def token_in(token: str, text: str) -> bool:
    """`token` occurs in `text` (both lower case) as a whole token: `ord_1` is not in `ord_10`."""
    return re.search(rf"(?<![\w-]){re.escape(token)}(?![\w]|-\w)", text) is not None


@dataclass
class Evidence:
    """What the agent has been shown so far, in a form values are looked up in."""

    texts: list[str] = field(default_factory=list)
    numbers: dict[Decimal, None] = field(default_factory=dict)  # ordered set, newest last
    dates: set[tuple[int, int, int | None]] = field(default_factory=set)
    times: set[int] = field(default_factory=set)
    vocabulary: set[str] = field(default_factory=set)  # tool names, parameter names, enum values
    # Texts that ground names only (the offered tools' descriptions): an id or a number copied
    # from a description's example is a guess, a product line named there is not.
    background: list[str] = field(default_factory=list)

    def add(self, text: str | None) -> None:
        if not text:
            return
        self.texts.append(text.lower())
        for mention in mentions(text):
            if mention.kind == "number":
                self.numbers.pop(mention.key.normalize(), None)
                self.numbers[mention.key.normalize()] = None
            elif mention.kind == "date":
                self.dates.update(mention.key if isinstance(mention.key, frozenset) else {mention.key})
            elif mention.kind == "time" and mention.key is not None:
                self.times.add(mention.key)

    def has_token(self, token: str) -> bool:
        token = token.lower()
        return token in self.vocabulary or any(token_in(token, text) for text in self.texts)

    def grounds(self, mention: Mention, local: list[Decimal] | None = None) -> bool:
        """Whether `mention` was shown; `local` are the other numbers of the same message (the
        "2" of "2 lamps at $25.99 is $51.98") for derived amounts."""
        if mention.kind == "name":
            return self.has_token(mention.key) or any(token_in(mention.key, t) for t in self.background)
        if mention.kind == "id":
            return self.has_token(mention.key)
        if mention.kind == "time":
            return mention.key in self.times or self.has_token(mention.text)
        if mention.kind == "date":
            return self._grounds_date(mention)
        return self._grounds_number(mention.key, local or [])

    def _grounds_date(self, mention: Mention) -> bool:
        readings = mention.key if isinstance(mention.key, frozenset) else {mention.key}
        for month, day, year in readings:
            if any(m == month and d == day and (year is None or y in (None, year)) for m, d, y in self.dates):
                return True
        return self.has_token(mention.text)

    def _grounds_number(self, value: Decimal, local: list[Decimal]) -> bool:
        shown = self.numbers
        # the same amount in another unit of 100: $51.98 for 5198 cents, 2599 cents for 25.99
        candidates = {value.normalize(), (value * 100).normalize(), (value / 100).normalize()}
        if any(c in shown for c in candidates):
            return True
        operands = list(dict.fromkeys([*list(shown)[-MAX_OPERANDS:], *local]))
        for a, b in combinations_with_replacement(operands, 2):
            derived = {(a * b).normalize(), (a + b).normalize(), abs(a - b).normalize()}
            if derived & candidates:
                return True
        return False


_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


def unquoted(text: str) -> str:
    """`text` without what it quotes: a reply quoting the user's note “All done, it's fixed.”
    does not itself say that anything is done."""
    return _QUOTED.sub("“…”", text)
