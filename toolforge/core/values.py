"""Values that mean what their field means: a `due_date` is a date, an `email` an address, a
`title` a short phrase of the tool's domain, a `unit_price` a price, a `quantity` a few units.

`instance_for` asks here for every leaf. The field's name, `format`, `pattern`, bounds, lengths
and description decide the value; the tool's words pick the domain its phrases come from
(`domain_of`). All draws come from the caller's `rng`, so equal streams give equal values.
"""

from __future__ import annotations

import math
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from toolforge.core import wordbank as wb
from toolforge.core.regex_sample import regex_sample

# The day generated dates centre on: a fixed day, so values do not drift with the clock. Past
# events (`created_at`) fall before it, due dates after it; a simulated world's clock starts at NOW.
ANCHOR = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 9, 30)

PERSON_KINDS = frozenset(
    "customer user employee patient student member contact driver player person owner assignee "
    "author agent staff guest passenger doctor teacher client candidate tenant attendee participant "
    "recipient sender manager reviewer requester applicant instructor traveler traveller buyer seller "
    "speaker organizer approver creator physician nurse coach volunteer subscriber".split()
)
COMPANY_KINDS = frozenset(
    "company organization organisation vendor supplier merchant employer brand carrier airline "
    "publisher manufacturer provider bank partner client_company insurer lender".split()
)
PRODUCT_KINDS = frozenset("product item line service plan package offer course book sku variant".split())
PLACE_KINDS = frozenset(
    "hotel venue clinic store location office branch restaurant site warehouse room property "
    "building facility depot shop station airport school hospital gym".split()
)
_PAST = frozenset(
    "created updated modified registered joined signed opened issued placed ordered sent submitted "
    "last since paid posted published received logged started completed closed resolved".split()
)
_FUTURE = frozenset(
    "due deadline expiry expires expiration until end ends scheduled departure arrival checkin "
    "checkout delivery renewal next start starts begin follow appointment event".split()
)


@dataclass(frozen=True)
class Hint:
    """What a value is for: its field name, the kind of record that holds it, the domain."""

    name: str = ""
    entity: str = ""
    domain: str = "general"

    @property
    def words(self) -> list[str]:
        return words(self.name)


def words(name: str) -> list[str]:
    """`dueDate`, `due_date`, `due-date` → ["due", "date"]."""
    return list(_words(name))


@lru_cache(maxsize=65536)
def word_set(name: str) -> frozenset[str]:
    """The words of a name as a set, for membership tests on hot paths."""
    return frozenset(_words(name))


_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")


@lru_cache(maxsize=65536)
def _words(name: str) -> tuple[str, ...]:
    # Field and tool names recur on every simulated call: split each once.
    return tuple(w.lower() for w in _SEPARATORS.split(_CAMEL.sub(r"\1_\2", name)) if w)


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us")) and len(word) > 3:
        return word[:-1]
    return word


@lru_cache(maxsize=8192)
def domain_of(text: str) -> str:
    """The word bank whose keywords the text mentions most ("general" when none)."""
    found = [singular(w) for w in words(text)]
    best, hits = "general", 0
    for name, bank in wb.DOMAINS.items():
        n = sum(1 for w in found if w in bank["keys"])
        if n > hits:
            best, hits = name, n
    return best


def is_person(entity: str) -> bool:
    w = words(entity)
    return bool(w) and singular(w[-1]) in PERSON_KINDS


# ---- strings ------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def string_role(name: str, fmt: str | None, description: str, entity: str) -> str:
    """What a string field holds, from its format, description and name (in that order)."""
    if fmt in _BY_FORMAT:
        return _BY_FORMAT[fmt]
    desc = description.lower()
    if "hh:mm" in desc and "yyyy" not in desc:
        return "time"
    if "yyyy-mm-dd" in desc or "iso 8601" in desc or "iso-8601" in desc:
        return "datetime" if "time" in desc or "hh" in desc else "date"
    w = words(name)
    if not w:
        return _name_role(words(entity))
    last, ws = w[-1], set(w)
    if last in ("id", "ids", "uuid", "guid"):
        return "id"
    if ws & {"birthday", "birthdate", "dob"} or w[:2] in (["birth", "date"], ["date", "of"]):
        return "birthday"
    if last in ("date", "day", "deadline", "due", "expiry", "expiration") or (last == "on" and len(w) > 1):
        return "date"
    if (last == "at" and len(w) > 1) or last in ("start", "end", "starts", "ends", "begin", "until", "since"):
        return "datetime"
    if last == "time":
        dated = ws & {"start", "end", "departure", "arrival", "pickup", "dropoff", "checkin", "checkout"}
        return "datetime" if dated or "date" in desc else "time"
    for keys, role in _ANY_WORD:
        if ws & keys:
            return role
    if last == "state" and (entity in ("address", "location") or "address" in ws):
        return "region"
    if last == "name" and len(w) > 1 and w[-2] in ("first", "given"):
        return "first_name"
    if last == "name" and len(w) > 1 and w[-2] in ("last", "family"):
        return "last_name"
    if last == "name" and len(w) > 1 and w[-2] == "full":
        return "person"
    if w in (["checkin"], ["checkout"]) or (len(w) == 2 and w[0] == "check" and last in ("in", "out")):
        return "date"
    if last == "name" and len(w) > 1 and w[-2] in ("user", "screen"):
        return "username"
    if last == "by" or w[-2:] == ["assigned", "to"]:
        return "person"
    if last in _LAST_WORD:
        return _LAST_WORD[last]
    if last == "code" and len(w) > 1 and w[-2] in ("country", "language"):
        return "country_code" if w[-2] == "country" else "language"
    if ws & {"coupon", "promo", "voucher"}:
        return "coupon"
    if ws & {"sku", "code", "number", "reference", "ref", "barcode", "serial", "confirmation", "tracking"}:
        return "code"
    if last == "name":
        role = _name_role(w[:-1])
        return _name_role(words(entity)) if role == "label" else role
    if len(w) == 1 and singular(last) in PERSON_KINDS | COMPANY_KINDS:
        return _name_role(w)
    for keys, role in _SOME_WORD:
        if ws & keys:
            return role
    return "phrase"


_BY_FORMAT = {
    "date-time": "datetime",
    "date": "date",
    "time": "time_format",
    "email": "email",
    "idn-email": "email",
    "uri": "url",
    "url": "url",
    "iri": "url",
    "uri-reference": "url",
    "uuid": "uuid",
    "hostname": "hostname",
    "idn-hostname": "hostname",
    "ipv4": "ipv4",
    "ipv6": "ipv6",
    "duration": "duration_iso",
}
# A word anywhere in the name decides (`billing_email_address` is an email, not an address).
_ANY_WORD: tuple[tuple[frozenset[str], str], ...] = tuple(
    (frozenset(k.split()), role)
    for k, role in (
        ("email emails mail", "email"),
        ("url uri link website homepage href webhook endpoint callback", "url"),
        ("phone mobile tel telephone fax", "phone"),
        ("timestamp datetime when", "datetime"),
        ("currency", "currency"),
        ("airport iata", "airport"),
        ("zip zipcode postal postcode", "postal"),
        ("timezone tz", "timezone"),
        ("password token secret apikey", "secret"),
        ("mime mimetype", "mime"),
        ("username handle login", "username"),
    )
)
# The last word decides (`order_status` is a status, `status_note` a note).
_LAST_WORD: dict[str, str] = {
    **dict.fromkeys("year".split(), "year"),
    **dict.fromkeys("month".split(), "month"),
    **dict.fromkeys("duration".split(), "duration"),
    **dict.fromkeys("country".split(), "country"),
    **dict.fromkeys("city town origin destination location".split(), "city"),
    **dict.fromkeys("province region county".split(), "region"),
    **dict.fromkeys("address street line1 line2".split(), "address"),
    **dict.fromkeys("language lang locale".split(), "language"),
    **dict.fromkeys("status state stage phase".split(), "status"),
    **dict.fromkeys("priority severity urgency".split(), "priority"),
    **dict.fromkeys("color colour".split(), "color"),
    **dict.fromkeys("size".split(), "size"),
    **dict.fromkeys("version".split(), "version"),
    **dict.fromkeys("path file filename attachment".split(), "path"),
    **dict.fromkeys("venue place".split(), "place"),
    **dict.fromkeys("team department division".split(), "team"),
    **dict.fromkeys("title subject headline heading caption label topic".split(), "title"),
    **dict.fromkeys(
        "description notes note comment comments message body content text details "
        "feedback instructions bio summary memo remarks explanation answer reply review purpose".split(),
        "text",
    ),
    **dict.fromkeys("reason resolution outcome".split(), "reason"),
    **dict.fromkeys("query q search keyword keywords term terms filter".split(), "query"),
    **dict.fromkeys("tag tags".split(), "tag"),
    **dict.fromkeys("category type kind genre segment class tier".split(), "category"),
}
# Last resort: a word anywhere in the name.
_SOME_WORD: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"country"}), "country_code"),
    (frozenset({"status", "state"}), "status"),
    (frozenset({"title", "subject", "headline"}), "title"),
    (frozenset({"description", "note", "notes", "comment", "message", "summary"}), "text"),
    (frozenset({"city", "location"}), "city"),
    (frozenset({"category", "type"}), "category"),
)


def _name_role(owner: list[str]) -> str:
    """The role of a `name` field, from the record that holds it (`customer` → a person's name)."""
    kind = singular(owner[-1]) if owner else ""
    if kind in PERSON_KINDS:
        return "person"
    if kind in COMPANY_KINDS:
        return "company"
    if kind in PRODUCT_KINDS:
        return "product"
    if kind in PLACE_KINDS:
        return "place"
    if kind in ("team", "department"):
        return "team"
    return "label"


def _bank(hint: Hint) -> dict[str, tuple[str, ...]]:
    return wb.DOMAINS.get(hint.domain, wb.DOMAINS["general"])


def _person(rng: random.Random) -> str:
    return f"{rng.choice(wb.FIRST_NAMES)} {rng.choice(wb.LAST_NAMES)}"


def _title(rng: random.Random, hint: Hint) -> str:
    subject = rng.choice(_bank(hint)["subjects"])
    heads = [h for h in wb.HEADS if h not in subject.split()]  # no "board meeting meeting"
    return f"{rng.choice(wb.ADJECTIVES)} {subject} {rng.choice(heads)}"


def _sentence(rng: random.Random, hint: Hint) -> str:
    written = _bank(hint).get("notes")
    if written:  # a domain's own sentences read as its records do (a traveller's meal request)
        return rng.choice(written)
    subject = rng.choice(_bank(hint)["subjects"])
    verb, head, tail = rng.choice(wb.VERBS), rng.choice(wb.HEADS), rng.choice(wb.TAILS)
    return f"{verb} the {subject} {head} {tail}."


def _date(rng: random.Random, hint: Hint) -> date:
    ws = set(hint.words)
    if ws & _PAST:
        return ANCHOR - timedelta(days=rng.randint(1, 180))
    if ws & _FUTURE:
        return ANCHOR + timedelta(days=rng.randint(1, 90))
    return ANCHOR + timedelta(days=rng.randint(-60, 60))


def _clock(rng: random.Random) -> str:
    return f"{rng.randint(8, 18):02d}:{rng.choice((0, 15, 30, 45)):02d}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _id_prefix(hint: Hint) -> str:
    w = hint.words
    if w and w[-1] in ("id", "ids", "uuid", "guid"):
        w = w[:-1]
    return "_".join(singular(x) for x in w) or "_".join(words(hint.entity)) or "item"


def _url(rng: random.Random, hint: Hint) -> str:
    if {"website", "homepage"} & set(hint.words):
        return f"https://{_slug(rng.choice(wb.COMPANIES))}.example.com"
    place = [w for w in hint.words if w not in ("url", "uri", "link", "href")]
    path = _id_prefix(Hint(name="_".join(place), entity=hint.entity)).replace("_", "-")
    return f"https://example.com/{path}s/{rng.randint(100, 999)}"


def email_for(person: str) -> str:
    """The address a person of that name would have: `Ada Lovelace` → ada.lovelace@example.com."""
    return f"{_slug(person).replace('-', '.')}@example.com"


def _code(rng: random.Random, hint: Hint) -> str:
    w = [x for x in hint.words if x not in ("code", "number", "reference", "ref", "no")]
    stem = (w[0] if w else hint.entity or "ref")[:3].upper()
    if "sku" in hint.words:
        stem = "SKU"
    return f"{stem}-{ANCHOR.year}-{rng.randint(100, 9999):04d}"


_STRINGS: dict[str, Callable[[random.Random, Hint], str]] = {
    "date": lambda r, h: _date(r, h).isoformat(),
    "datetime": lambda r, h: f"{_date(r, h).isoformat()}T{_clock(r)}:00Z",
    "time": lambda r, h: _clock(r),
    "time_format": lambda r, h: f"{_clock(r)}:00",  # JSON Schema `time` wants seconds
    "birthday": lambda r, h: (date(1950, 1, 1) + timedelta(days=r.randint(0, 20000))).isoformat(),
    "year": lambda r, h: str(ANCHOR.year + r.randint(-3, 1)),
    "month": lambda r, h: f"{ANCHOR.year}-{r.randint(1, 12):02d}",
    "duration": lambda r, h: f"{r.choice((15, 30, 45, 60, 90))} minutes",
    "duration_iso": lambda r, h: f"PT{r.choice((15, 30, 45, 60, 90))}M",
    "email": lambda r, h: email_for(_person(r)),
    "url": lambda r, h: _url(r, h),
    "hostname": lambda r, h: f"{_slug(r.choice(wb.COMPANIES).split()[0])}.example.com",
    "uuid": lambda r, h: str(uuid.UUID(int=r.getrandbits(128), version=4)),
    "ipv4": lambda r, h: f"10.{r.randint(0, 254)}.{r.randint(0, 254)}.{r.randint(1, 254)}",
    "ipv6": lambda r, h: f"2001:db8::{r.randint(1, 65535):x}",
    "phone": lambda r, h: f"+1-555-01{r.randint(0, 99):02d}",
    "id": lambda r, h: f"{_id_prefix(h)}_{r.randint(1, 12):04d}",
    "person": lambda r, h: _person(r),
    "first_name": lambda r, h: r.choice(wb.FIRST_NAMES),
    "last_name": lambda r, h: r.choice(wb.LAST_NAMES),
    "username": lambda r, h: f"{r.choice(wb.FIRST_NAMES)[0]}{r.choice(wb.LAST_NAMES)}".lower(),
    "company": lambda r, h: r.choice(wb.COMPANIES),
    "team": lambda r, h: r.choice(wb.TEAMS),
    "product": lambda r, h: r.choice(_bank(h)["products"]),
    "place": lambda r, h: f"{r.choice(wb.PLACES)} {r.choice(_bank(h)['places'])}",
    "label": lambda r, h: f"{r.choice(wb.ADJECTIVES)} {r.choice(_bank(h)['subjects'])}",
    "title": _title,
    "text": _sentence,
    "reason": lambda r, h: r.choice(_bank(h).get("reasons") or wb.REASONS),
    "query": lambda r, h: r.choice(r.choice(_bank(h)["subjects"]).split()),
    "tag": lambda r, h: _slug(r.choice(_bank(h)["subjects"])),
    "category": lambda r, h: r.choice(_bank(h)["categories"]),
    "phrase": lambda r, h: r.choice(_bank(h)["subjects"]),
    "currency": lambda r, h: r.choice(wb.CURRENCIES),
    "airport": lambda r, h: r.choice(wb.AIRPORTS),
    "country": lambda r, h: r.choice(wb.COUNTRIES)[0],
    "country_code": lambda r, h: r.choice(wb.COUNTRIES)[1],
    "city": lambda r, h: r.choice(wb.CITIES),
    "region": lambda r, h: r.choice(wb.REGIONS),
    "postal": lambda r, h: f"{r.randint(10000, 99999)}",
    "address": lambda r, h: f"{r.randint(1, 250)} {r.choice(wb.STREETS)}, {r.choice(wb.CITIES)}",
    "language": lambda r, h: r.choice(wb.LANGUAGES),
    "timezone": lambda r, h: r.choice(wb.TIMEZONES),
    "status": lambda r, h: r.choice(statuses_for(h.entity)),
    "priority": lambda r, h: r.choice(wb.PRIORITIES),
    "color": lambda r, h: r.choice(wb.COLORS),
    "size": lambda r, h: r.choice(wb.SIZES),
    "secret": lambda r, h: f"tok_{r.getrandbits(64):016x}",
    "version": lambda r, h: f"{r.randint(1, 4)}.{r.randint(0, 12)}.{r.randint(0, 9)}",
    "path": lambda r, h: f"/documents/{_slug(r.choice(_bank(h)['subjects']))}-{r.randint(1, 9)}.md",
    "mime": lambda r, h: r.choice(wb.MIME_TYPES),
    "coupon": lambda r, h: f"{r.choice(('SPRING', 'WELCOME', 'SAVE', 'VIP'))}{r.choice((10, 15, 20, 25))}",
    "code": _code,
}


@lru_cache(maxsize=8192)
def statuses_for(entity: str) -> tuple[str, ...]:
    """The status words a record of this kind goes through (`order` → placed, paid, shipped, ...)."""
    for keys, found in wb.STATUSES:
        if any(k in words(entity) or k == entity for k in keys):
            return found
    return wb.DEFAULT_STATUSES


def string_value(schema: dict[str, Any], rng: random.Random, hint: Hint) -> str:
    """A string for the field `hint.name` that fits `schema`'s format, pattern and lengths."""
    fmt = schema.get("format")
    role = string_role(
        hint.name, fmt if isinstance(fmt, str) else None, str(schema.get("description", "")), hint.entity
    )
    if role in ("country", "country_code") and int(schema.get("maxLength", 99)) <= 3:
        role = "country_code"
    text = _STRINGS[role](rng, hint)
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not _matches(pattern, text):
        sampled = regex_sample(pattern, rng)
        if sampled is not None:
            return sampled  # the pattern decides the characters; lengths are its own
    return _fit_length(text, schema, rng, hint)


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True  # a pattern Python cannot read: nothing to fit


def _fit_length(text: str, schema: dict[str, Any], rng: random.Random, hint: Hint) -> str:
    low = int(schema.get("minLength", 0))
    high = int(schema.get("maxLength", max(low, 10_000)))
    while len(text) < low:
        text = f"{text} {rng.choice(_bank(hint)['subjects'])}".strip()
    if len(text) > high:
        cut = text[:high]
        text = cut.rsplit(" ", 1)[0] if " " in cut and len(cut.rsplit(" ", 1)[0]) >= max(low, 1) else cut
    return text


# ---- numbers ------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def number_role(name: str) -> str:
    """What a numeric field counts or measures, from its name."""
    w = words(name)
    if not w:
        return "generic"
    last, ws = w[-1], set(w)
    if ws & {"refund", "refunded", "discount", "penalty", "writeoff"}:
        return "zero_money"  # a fresh record has had none
    if last in ("id", "ids"):
        return "id"
    if w in (["page", "size"], ["per", "page"], ["max", "results"], ["top", "k"], ["page", "limit"]) or w == [
        "limit"
    ]:
        return "limit"
    if "count" in ws or w[0] in ("num", "n") or w[:2] == ["number", "of"]:
        return "count"
    if w[0] == "total" and len(w) > 1 and last.endswith("s") and last not in _MONEY | {"cents"}:
        return "count"  # total_items, total_results
    if last == "rate" and ws & {"hourly", "nightly", "daily", "weekly", "room", "base", "unit"}:
        return "money"
    for keys, role in _NUMBER_WORDS:
        if ws & keys:
            return role
    if last in _NUMBER_LAST:
        return _NUMBER_LAST[last]
    return "generic"


_MONEY = frozenset(
    "price cost amount total subtotal fee fees balance budget tax charge fare rent deposit payment paid "
    "due spend spent credit debit tip shipping value sum owed limit".split()
)
_NUMBER_WORDS: tuple[tuple[frozenset[str], str], ...] = tuple(
    (frozenset(k.split()), role)
    for k, role in (
        ("lat latitude", "latitude"),
        ("lon lng longitude", "longitude"),
        ("rating stars", "rating"),
        ("percent percentage pct ratio probability confidence share rate", "percent"),
        ("quantity qty units copies seats guests adults children people passengers", "quantity"),
        ("nights days weeks", "days"),
        ("stock inventory available remaining capacity slots", "stock"),
        ("salary income revenue wage", "salary"),
        ("tax shipping fee fees tip charge handling vat", "small_money"),
        (" ".join(_MONEY), "money"),
        ("age", "age"),
        ("duration minutes mins", "minutes"),
        ("hours", "hours"),
        ("weight kg grams lbs", "weight"),
        ("distance km miles mileage", "distance"),
        ("temperature temp celsius", "temperature"),
        ("score", "score"),
        ("priority level version step round", "level"),
    )
)
_NUMBER_LAST = {
    "page": "page",
    "offset": "offset",
    "skip": "offset",
    "year": "year",
    "month": "month",
    "day": "day",
    "hour": "hour",
}


_MONEY_ROLES = frozenset({"money", "small_money", "zero_money", "salary"})
# (low, high, decimals) per role; a role's range is narrowed to the schema's bounds.
_RANGES: dict[str, tuple[float, float, int]] = {
    "zero_money": (0, 0, 2),
    "small_money": (2, 45, 2),
    "id": (1, 500, 0),
    "latitude": (35, 60, 4),
    "longitude": (-10, 30, 4),
    "rating": (3, 5, 1),
    "percent": (1, 25, 1),
    "limit": (5, 50, 0),
    "page": (1, 1, 0),
    "offset": (0, 0, 0),
    "quantity": (1, 4, 0),
    "days": (1, 7, 0),
    "stock": (0, 40, 0),
    "count": (1, 12, 0),
    "salary": (32_000, 140_000, 0),
    "money": (5, 480, 2),
    "age": (19, 78, 0),
    "year": (2022, 2027, 0),
    "month": (1, 12, 0),
    "day": (1, 28, 0),
    "hour": (8, 18, 0),
    "minutes": (15, 120, 0),
    "hours": (1, 8, 0),
    "weight": (0.5, 25, 1),
    "distance": (1, 480, 1),
    "temperature": (-5, 34, 1),
    "score": (40, 100, 0),
    "level": (1, 5, 0),
    "generic": (1, 100, 0),
}


def number_value(schema: dict[str, Any], rng: random.Random, hint: Hint, *, integer: bool) -> float | int:
    """A number for the field `hint.name` inside `schema`'s bounds (and `multipleOf`)."""
    low, high = bounds(schema, integer=integer)
    role = number_role(hint.name)
    r_low, r_high, decimals = _RANGES[role]
    if role == "percent" and high <= 1:
        r_low, r_high, decimals = 0.05, 0.95, 2
    if role in _MONEY_ROLES and "cents" in words(hint.name):
        r_low, r_high, decimals = r_low * 100, r_high * 100, 0
    if role == "limit":
        sizes = [n for n in (5, 10, 20, 25, 50) if low <= n <= high]
        if sizes:
            return rng.choice(sizes)
    lo, hi = max(low, r_low), min(high, r_high)
    if lo > hi:  # the role's range misses the schema's: the schema wins
        lo, hi = low, high
    step = schema.get("multipleOf")
    if step:
        first, last = math.ceil(lo / step), math.floor(hi / step)
        if first > last:
            first, last = math.ceil(low / step), math.floor(high / step)
        n = rng.randint(first, max(first, last)) * step
        return int(n) if integer or float(n).is_integer() else round(n, 10)
    if integer or decimals == 0:
        first, last = math.ceil(lo), math.floor(hi)
        if first <= last or integer:
            return rng.randint(first, max(first, last))
        decimals = 2  # no whole number fits (0.1 to 0.9): a fraction does
    if role == "money" and hi - lo >= 1:
        whole = rng.randint(math.ceil(lo), max(math.ceil(lo), math.floor(hi) - 1))
        value: float = whole + rng.choice((0.0, 0.49, 0.5, 0.95, 0.99))
    else:
        value = round(rng.uniform(lo, hi), decimals)
    return min(max(value, lo), hi)


def bounds(schema: dict[str, Any], integer: bool) -> tuple[float, float]:
    """`minimum`/`maximum` (exclusive forms included), open ends replaced by a span of 10^6."""
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
        return -1_000_000, 1_000_000
    if low == -math.inf:
        return high - 1_000_000, high
    if high == math.inf:
        return low, low + 1_000_000
    return low, high
