"""`toolforge audit`: measure an exported dataset from its rows alone (DESIGN §7).

The audit reads `openai.jsonl` rows — `{"id", "messages", "tools", "metadata"}` — and nothing
else: no store, no verdicts, no world state. It is deliberately independent of the judges (it
imports none of them and shares none of their helpers): it exists to catch what the judges miss,
so it must not share their blind spots. Each figure is a count over the rows with a bar; a dataset
passes when every bar holds.

Figures (see `FIGURES` for the bars):

- `description_echo`   user turns holding 6+ consecutive words of an offered tool's description;
- `ungrounded_call_ids` id-like call arguments not seen in any earlier message;
- `ungrounded_final`   final replies with ids or numbers not in the user turns, system or results;
- `final_uses_result`  final replies that use a value of the last successful tool result;
- `filler_results`     tool results holding NATO-alphabet or lorem-ipsum filler values;
- `bad_dates`          date/time-named fields whose value is not a date or time;
- `reread_mismatch`    re-reads of one record (no write between) whose results disagree;
- `unconfirmed_writes` writes with no confirmation turn when the system prompt asks for one;
- `success_after_error` success claims whose last tool result was an error;
- `distinct_openings` / `distinct_finals` distinct first user turns / final replies, ids and
  numbers masked.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from toolforge.core.json_leaves import keyed_leaves

MAX_EXAMPLES = 5

# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------


class Figure(BaseModel):
    """One measured figure: `numerator` of `denominator`, held against a bar."""

    name: str
    title: str
    numerator: int
    denominator: int
    bar: Literal["max", "min"]  # "max": the share must stay at or under `limit`; "min": reach it
    limit: float
    examples: list[str] = Field(default_factory=list)

    @computed_field
    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 2) if self.denominator else None

    @computed_field
    @property
    def passed(self) -> bool:
        if not self.denominator:  # nothing to measure: the bar cannot be missed
            return True
        share = self.numerator / self.denominator
        return share <= self.limit if self.bar == "max" else share >= self.limit

    @property
    def bar_text(self) -> str:
        if self.bar == "max" and self.limit == 0:
            return "none"
        return f"{'≤' if self.bar == 'max' else '≥'} {self.limit:.0%}"


class BadLine(BaseModel):
    line: int
    error: str


class AuditReport(BaseModel):
    rows: int
    rows_with_tool_calls: int
    domains: dict[str, int] = Field(default_factory=dict)
    bad_lines: list[BadLine] = Field(default_factory=list)
    figures: list[Figure]

    @property
    def failed(self) -> list[Figure]:
        return [f for f in self.figures if not f.passed]

    def figure(self, name: str) -> Figure:
        return next(f for f in self.figures if f.name == name)

    def markdown(self) -> str:
        """The card's `## Audit` section (no trailing blank line)."""
        out = [
            "## Audit",
            "",
            "Measured from the rows of `openai.jsonl` alone by `toolforge audit`, independently of the judges.",
            "",
            f"{self.rows} rows, {self.rows_with_tool_calls} with tool calls"
            + (
                "; by domain: " + ", ".join(f"{k} {n}" for k, n in self.domains.items())
                if self.domains
                else ""
            )
            + (f"; {len(self.bad_lines)} unreadable line(s) skipped." if self.bad_lines else "."),
            "",
            "| figure | count | of | share | bar | result |",
            "|---|---:|---:|---:|---|---|",
        ]
        for f in self.figures:
            share = "n/a" if f.percent is None else f"{f.percent:.2f}%"
            verdict = "pass" if f.passed else "**miss**"
            out.append(
                f"| {f.title} | {f.numerator} | {f.denominator} | {share} | {f.bar_text} | {verdict} |"
            )
        for f in self.failed:
            out += ["", f"Examples for *{f.title}*:", ""]
            out += [f"- {_one_line(e)}" for e in f.examples]
        return "\n".join(out)


def _one_line(text: str, width: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Rows: a tolerant reading of one OpenAI chat line
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    id: str
    name: str
    args: Any  # the decoded arguments (a dict when well formed), None when not JSON


@dataclass(frozen=True)
class Turn:
    role: str
    text: str
    calls: tuple[Call, ...] = ()
    call_id: str | None = None  # tool turns: the call answered
    data: Any = None  # tool turns: the result decoded from JSON, else None
    error: bool = False  # tool turns: the result reports a failure


@dataclass(frozen=True)
class Row:
    id: str
    turns: tuple[Turn, ...]
    tool_descriptions: tuple[str, ...]
    domain: str | None

    @property
    def system(self) -> str:
        return "\n".join(t.text for t in self.turns if t.role == "system")

    def final_index(self) -> int | None:
        """Index of the last assistant turn with text: the final reply."""
        for i in range(len(self.turns) - 1, -1, -1):
            if self.turns[i].role == "assistant" and self.turns[i].text.strip():
                return i
        return None

    def results(self) -> dict[str, Turn]:
        return {t.call_id: t for t in self.turns if t.role == "tool" and t.call_id}


def parse_jsonl(text: str) -> tuple[list[dict[str, Any]], list[BadLine]]:
    """The rows of an `openai.jsonl` text; lines that are not JSON objects are reported, not fatal."""
    rows: list[dict[str, Any]] = []
    bad: list[BadLine] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(BadLine(line=number, error=f"not JSON: {exc.msg} (column {exc.colno})"))
            continue
        if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
            bad.append(BadLine(line=number, error='not a conversation: no "messages" list'))
            continue
        rows.append(value)
    return rows, bad


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None


_ERROR_TEXT = re.compile(r"^\s*(error|exception|traceback|failed|failure)\b", re.IGNORECASE)


def _is_error(text: str, data: Any) -> bool:
    # The export drops our `is_error` flag, so failure is read off the result as a reader would.
    if isinstance(data, dict):
        if data.get("error") or data.get("errors") or data.get("isError") is True:
            return True
        return data.get("is_error") is True
    return bool(_ERROR_TEXT.match(text))


def _calls(raw: Any) -> tuple[Call, ...]:
    calls = []
    for i, call in enumerate(raw or []):
        if not isinstance(call, dict):
            continue
        fn = call.get("function") or {}
        args = fn.get("arguments")
        calls.append(
            Call(
                id=str(call.get("id") or f"#{i}"),
                name=str(fn.get("name") or ""),
                args=_decode(args) if isinstance(args, str) else args,
            )
        )
    return tuple(calls)


def parse_row(row: dict[str, Any], index: int = 0) -> Row:
    turns = []
    for m in row.get("messages") or []:
        if not isinstance(m, dict):
            continue
        role, text = str(m.get("role", "")), _text(m.get("content"))
        if role == "tool":
            data = _decode(text)
            turns.append(
                Turn(role, text, call_id=m.get("tool_call_id"), data=data, error=_is_error(text, data))
            )
        else:
            turns.append(Turn(role, text, calls=_calls(m.get("tool_calls")) if role == "assistant" else ()))
    descriptions = []
    for tool in row.get("tools") or []:
        if isinstance(tool, dict):
            fn = tool.get("function", tool)
            descriptions.append(str(fn.get("description") or ""))
    meta = row.get("metadata")
    domain = meta.get("domain") if isinstance(meta, dict) else None
    return Row(
        id=str(row.get("id") or f"row {index + 1}"),
        turns=tuple(turns),
        tool_descriptions=tuple(descriptions),
        domain=domain if isinstance(domain, str) and domain else None,
    )


def _pairs(row: Row) -> Iterator[tuple[int, Call, Turn | None]]:
    """Every call in order, with the index of its assistant turn and its result (None if unanswered)."""
    results = row.results()
    unclaimed = [t for t in row.turns if t.role == "tool" and not t.call_id]
    for i, turn in enumerate(row.turns):
        for call in turn.calls:
            # Results without a tool_call_id are matched to calls in order, as a reader would.
            result = results.get(call.id) or (unclaimed.pop(0) if unclaimed else None)
            yield i, call, result


# ---------------------------------------------------------------------------------------------
# Text helpers: ids, numbers, words
# ---------------------------------------------------------------------------------------------

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_SEQUENCE_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*_\d+", re.IGNORECASE)  # customer_0002, ord_0001
_CODE_ID = re.compile(r"[A-Z]{2,}-\d{3,}")  # ORD-1001
_SLUG_ID = re.compile(r"[a-z]+(?:_[a-z0-9]+)+")  # prd_lamp, cus_ada: an id by prefix or digit
# Short prefixes that name a record kind; real words (order, status, price) are left out on
# purpose so that enum values like "price_asc" are not taken for ids.
ID_PREFIXES = frozenset(
    "acc acct apt appt bk bkg cal cart ch cs cus cust crs dept doc drv emp enc evt file flt img inv "
    "itm job loc msg ord org pay pi pkg pnr prd prj prod ref req res ret rma rsv rx sess shp sku "
    "stu sub tkt tsk txn trx usr veh".split()
)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*[A-Za-z0-9]|[A-Za-z0-9]")


def is_id_like(value: str) -> bool:
    if _UUID.fullmatch(value) or _SEQUENCE_ID.fullmatch(value) or _CODE_ID.fullmatch(value):
        return True
    if _SLUG_ID.fullmatch(value):
        return any(c.isdigit() for c in value) or value.split("_", 1)[0] in ID_PREFIXES
    return False


def id_tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text) if is_id_like(t)]


def _mentions(needle: str, haystack: str) -> bool:
    """`needle` occurs in `haystack` as a whole token (case-insensitive)."""
    pattern = r"(?<![A-Za-z0-9_])" + re.escape(needle) + r"(?![A-Za-z0-9_])"
    return re.search(pattern, haystack, re.IGNORECASE) is not None


_LIST_MARKER = re.compile(r"(?m)^\s*\d+[.)](?=\s)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def numbers_in(text: str) -> list[str]:
    """Numbers a reply asserts: runs of 2+ digits and decimals, ids and list markers left out."""
    text = _TOKEN.sub(lambda m: " " if is_id_like(m.group()) else m.group(), text)
    text = _THOUSANDS.sub("", _LIST_MARKER.sub(" ", text))
    return [n for n in _NUMBER.findall(text) if "." in n or len(n) >= 2]


def _number_present(number: str, known: set[float]) -> bool:
    value = float(number)
    if value in known:
        return True
    # A decimal amount like 51.98 is the cents value 5198 rendered for a reader.
    decimals = number.partition(".")[2]
    return 0 < len(decimals) <= 2 and round(value * 100) in known


def _known_numbers(text: str) -> set[float]:
    return {float(n) for n in _NUMBER.findall(_THOUSANDS.sub("", text))}


def words(text: str) -> list[str]:
    """Lowercased words with punctuation stripped."""
    return re.sub(r"[^\w\s]", "", text.lower()).split()


def mask(text: str) -> str:
    """A text with ids and digit runs masked, lowercased, whitespace collapsed: its template."""
    masked = _TOKEN.sub(lambda m: "<id>" if is_id_like(m.group()) else m.group(), text)
    masked = re.sub(r"\d+", "<n>", masked)
    return " ".join(masked.lower().split())


def _key_tokens(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


# ---------------------------------------------------------------------------------------------
# Tool kinds: read or write, from the tool's name alone
# ---------------------------------------------------------------------------------------------

READ_VERBS = frozenset(
    "get read fetch retrieve show describe lookup view load check find list search query browse".split()
)
WRITE_VERBS = frozenset(
    (
        "create add new insert make register book open post submit place schedule upload update set "
        "edit modify change rename patch move assign mark toggle reschedule delete remove cancel drop "
        "archive close revoke clear ship request refund send pay transfer reserve purchase buy order "
        "checkout apply approve reject enroll subscribe unsubscribe invite share publish renew return "
        "exchange withdraw deposit charge issue grant reset restore save write put replace flag lock "
        "unlock enable disable activate deactivate complete resolve escalate notify reply respond "
        "upgrade downgrade attach detach link unlink merge tag untag label append prepend pin unpin"
    ).split()
)


def tool_kind(name: str) -> Literal["read", "write", "other"]:
    """A name that starts with a read verb reads (`list_open_tickets` reads); else one holding a
    mutating verb writes; else neither."""
    tokens = _key_tokens(name)
    if tokens and tokens[0] in READ_VERBS:
        return "read"
    if any(t in WRITE_VERBS for t in tokens):
        return "write"
    return "other"


# ---------------------------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------------------------


@dataclass
class _Tally:
    """A count of `hits` among `seen`, with the first few hits described."""

    hits: int = 0
    seen: int = 0

    def __post_init__(self) -> None:
        self.examples: list[str] = []

    def add(self, hit: bool, example: str) -> None:
        self.seen += 1
        if hit:
            self.hits += 1
            if len(self.examples) < MAX_EXAMPLES:
                self.examples.append(example)


DESCRIPTION_RUN = 6


def description_echo(rows: list[Row]) -> _Tally:
    tally = _Tally()
    for row in rows:
        grams: set[tuple[str, ...]] = set()
        for description in row.tool_descriptions:
            w = words(description)
            grams.update(tuple(w[i : i + DESCRIPTION_RUN]) for i in range(len(w) - DESCRIPTION_RUN + 1))
        for turn in row.turns:
            if turn.role == "user":
                w = words(turn.text)
                found = next(
                    (
                        g
                        for i in range(len(w) - DESCRIPTION_RUN + 1)
                        if (g := tuple(w[i : i + DESCRIPTION_RUN])) in grams
                    ),
                    None,
                )
                tally.add(found is not None, f"{row.id}: user says “{' '.join(found or ())}…”")
    return tally


def _id_arguments(args: Any) -> Iterator[tuple[str, str]]:
    for key, value in keyed_leaves(args):
        if isinstance(value, bool) or value is None or value == "":
            continue
        by_key = key == "id" or key.endswith(("_id", "Id", "_ids", "Ids"))
        if by_key and isinstance(value, int | float | str):
            yield key, str(value)
        elif isinstance(value, str) and is_id_like(value):
            yield key, value


def ungrounded_call_ids(rows: list[Row]) -> _Tally:
    tally = _Tally()
    for row in rows:
        for i, call, _ in _pairs(row):
            # What the agent could have read before this call: earlier messages' text and results
            # (not earlier call arguments: an id invented once is still invented when reused).
            seen = "\n".join(t.text for t in row.turns[:i])
            for key, value in _id_arguments(call.args):
                tally.add(not _mentions(value, seen), f"{row.id}: {call.name}({key}={value!r})")
    return tally


def _final_sources(row: Row, final: int) -> str:
    return "\n".join(t.text for t in row.turns[:final] if t.role in ("system", "user", "tool"))


def ungrounded_final(rows: list[Row]) -> _Tally:
    tally = _Tally()
    for row in rows:
        final = row.final_index()
        if final is None:
            continue
        reply, sources = row.turns[final].text, _final_sources(row, final)
        known = _known_numbers(sources)
        missing = [t for t in id_tokens(reply) if not _mentions(t, sources)]
        missing += [n for n in numbers_in(reply) if not _number_present(n, known)]
        tally.add(bool(missing), f"{row.id}: final reply has {', '.join(dict.fromkeys(missing))}")
    return tally


def _result_values(result: Turn) -> tuple[list[str], list[float]]:
    if result.data is None:  # a plain-text result: its ids and numbers, and the text itself
        strings = [result.text.strip(), *id_tokens(result.text)]
        return [s for s in strings if len(s) >= 3], [float(n) for n in _NUMBER.findall(result.text)]
    strings, numbers = [], []
    for _, value in keyed_leaves(result.data):
        if isinstance(value, str) and len(value.strip()) >= 3:
            strings.append(value.strip())
        elif isinstance(value, int | float) and not isinstance(value, bool):
            numbers.append(float(value))
    return strings, numbers


def _uses(reply: str, result: Turn) -> bool:
    strings, numbers = _result_values(result)
    if any(_mentions(s, reply) for s in strings):
        return True
    said = [float(n) for n in _NUMBER.findall(_THOUSANDS.sub("", reply))]
    # Cents rendered as an amount (5198 → 51.98) are the same value.
    return any(n in numbers or round(n * 100) in numbers for n in said)


def final_uses_result(rows: list[Row]) -> _Tally:
    tally = _Tally()
    for row in rows:
        final = row.final_index()
        before = row.turns[:final] if final is not None else row.turns
        last = next((t for t in reversed(before) if t.role == "tool" and not t.error), None)
        if last is None:
            continue
        reply = row.turns[final].text if final is not None else ""
        # The tally counts misses, so its examples show them; the figure reports uses (`_figures`).
        tally.add(not _uses(reply, last), f"{row.id}: final reply “{reply}” uses no value of {last.text}")
    return tally


_NATO = re.compile(
    r"(alfa|alpha|bravo|charlie|delta|echo|foxtrot|golf|hotel|india|juliett?|kilo|lima|mike|november"
    r"|oscar|papa|quebec|romeo|sierra|tango|uniform|victor|whiske?y|x-?ray|yankee|zulu)(?:[_-]?\d+)?"
)
_LOREM = re.compile(r"\b(lorem|ipsum)\b|\bdolor\s+sit\s+amet\b")


def _filler(value: str) -> bool:
    # A NATO word counts only as the whole value ("zulu", "zulu_3"): "Delta faucet" is a product.
    return bool(_NATO.fullmatch(value.strip().lower()) or _LOREM.search(value.lower()))


def filler_results(rows: list[Row]) -> _Tally:
    tally = _Tally()
    for row in rows:
        for turn in row.turns:
            if turn.role != "tool":
                continue
            leaves = list(keyed_leaves(turn.data)) if turn.data is not None else [("", turn.text)]
            found = [f"{k}={v!r}" if k else repr(v) for k, v in leaves if isinstance(v, str) and _filler(v)]
            tally.add(bool(found), f"{row.id}: result has {', '.join(found[:4])}")
    return tally


DATE_WORDS = frozenset(
    "date time day start end deadline due when timestamp created updated birthday datetime".split()
)
_COMPOUND_DATE = re.compile(
    r"(start|end|due|birth|created|updated|modified|deleted|expires|expiry|checkin|checkout|pickup|delivery)"
    r"(date|datetime|time|timestamp|at)"
)
_MONTH = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sept?(ember)?|oct(ober)?"
    r"|nov(ember)?|dec(ember)?"
)
_WEEKDAY = r"mon(day)?|tue(s|sday)?|wed(nesday)?|thu(rs|rsday)?|fri(day)?|sat(urday)?|sun(day)?"
_DATE_PART = re.compile(
    r"\d{4}-\d{2}(-\d{2})?([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(z|[+-]\d{2}:?\d{2})?"  # ISO date / datetime
    r"|\d{1,2}:\d{2}(:\d{2})?(\s*[ap]\.?m\.?)?"  # 09:30, 9:30 pm
    r"|\d{1,2}\s*[ap]\.?m\.?"  # 3pm
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{4}/\d{1,2}/\d{1,2}"  # 01/12/2026, 2026/12/01
    rf"|\b({_MONTH})\b\.?(\s+\d{{1,2}}(st|nd|rd|th)?)?(,?\s+\d{{4}})?|\d{{1,2}}(st|nd|rd|th)?\s+({_MONTH})\b"
    rf"|\b({_WEEKDAY})\b|\b(today|tomorrow|yesterday|tonight|noon|midnight)\b"
    r"|\b(utc|gmt)\b",
    re.IGNORECASE,
)
_DATE_GLUE = re.compile(r"(\s|[,;\-–—]|\b(to|from|until|and|at|on|by|the|of|next|this|last|every)\b)*")


def is_date_text(value: str) -> bool:
    """ISO date or datetime, HH:MM, or a recognizable date string (month or weekday names, ranges)."""
    text = value.strip().lower()
    if not text or not _DATE_PART.search(text):
        return False
    return bool(_DATE_GLUE.fullmatch(_DATE_PART.sub(" ", text)))


def _date_key(key: str) -> Literal["unix", "strict", "named"] | None:
    """How a key names a date: None when it does not; "unix" when numbers may be unix times
    (ends in _at or timestamp); "strict" when it ends in date/time (a number is never one)."""
    tokens = [t[:-1] if t.endswith("s") and len(t) > 3 else t for t in _key_tokens(key)]
    if not tokens:
        return None
    last = tokens[-1]
    compound = _COMPOUND_DATE.fullmatch(last)
    if (
        (last == "at" and len(tokens) > 1)
        or last == "timestamp"
        or (compound and compound[2] in ("at", "timestamp"))
    ):
        return "unix"
    if last in ("date", "time", "datetime") or compound:
        return "strict"
    if any(t in DATE_WORDS or _COMPOUND_DATE.fullmatch(t) for t in tokens):
        return "named"
    return None


def _bad_date(key: str, value: Any) -> bool | None:
    """True/False for a date-named field's value, None when it is not measured."""
    kind = _date_key(key)
    if kind is None or value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if kind == "named":  # start_page: 3, duration_days: 5 — counts, not dates
            return None
        return not (kind == "unix" and 1e8 <= value < 1e14)  # unix seconds or milliseconds
    if isinstance(value, str):
        if kind == "unix" and value.isdigit():
            return not 1e8 <= int(value) < 1e14
        return not is_date_text(value)
    return None


def bad_dates(rows: list[Row]) -> _Tally:
    tally = _Tally()
    for row in rows:
        sources = [(f"{c.name} arguments", c.args) for _, c, _ in _pairs(row)]
        sources += [("result", t.data) for t in row.turns if t.role == "tool" and t.data is not None]
        for where, data in sources:
            for key, value in keyed_leaves(data):
                bad = _bad_date(key, value)
                if bad is not None:
                    tally.add(bad, f"{row.id}: {where}: {key}={value!r}")
    return tally


def _canonical(result: Turn) -> str:
    return json.dumps(result.data, sort_keys=True) if result.data is not None else result.text.strip()


def reread_mismatch(rows: list[Row]) -> _Tally:
    tally = _Tally()
    for row in rows:
        seen: dict[tuple[str, str], str] = {}
        for _, call, result in _pairs(row):
            kind = tool_kind(call.name)
            if kind == "write":
                seen.clear()  # a write may change what a read returns
            if kind != "read" or result is None or result.error:
                continue
            key = (call.name, json.dumps(call.args, sort_keys=True))
            now = _canonical(result)
            if key in seen:
                tally.add(now != seen[key], f"{row.id}: {call.name}: {seen[key]} then {now}")
            seen[key] = now
    return tally


_ASKS_CONFIRMATION = re.compile(
    r"\bconfirm|\bapprov|\bconsent\b|\bpermission\b|\b(wait|ask)\s+for\s+(the\s+)?\w+('s|’s)?\s+(explicit\s+)?(yes|go-ahead|ok)\b",
    re.IGNORECASE,
)
_AFFIRMATIVE = re.compile(
    r"\b(yes|yeah|yep|yup|sure|go ahead|please do|confirm(ed)?|ok|okay|sounds good|do it|proceed|go for it"
    r"|absolutely|of course)\b",
    re.IGNORECASE,
)
_NEGATIVE_START = re.compile(r"^\W*(no|nope|nah|not|wait|stop|cancel)\b", re.IGNORECASE)
# Anywhere in the turn: "I'm not sure", "sure, but don't place it yet" confirm nothing.
_NEGATIVE = re.compile(
    r"\b(not sure|not yet|not now|don['’]?t|do not|hold on|never ?mind|rather not)\b", re.IGNORECASE
)


def _affirmative(text: str) -> bool:
    if _NEGATIVE_START.match(text) or _NEGATIVE.search(text):
        return False
    return bool(_AFFIRMATIVE.search(text))


def _confirmed_before(row: Row, index: int) -> bool:
    """Whether the user's latest turn before turn `index` confirms a question the assistant asked."""
    users = [i for i, t in enumerate(row.turns) if t.role == "user"]
    before = [i for i in users if i < index]
    if len(before) < 2:  # no user turn, or only the opening one: nothing was confirmed
        return False
    last_user, previous_user = before[-1], before[-2]
    asked = next(
        (
            t
            for t in reversed(row.turns[previous_user + 1 : last_user])
            if t.role == "assistant" and t.text.strip()
        ),
        None,
    )
    return asked is not None and "?" in asked.text and _affirmative(row.turns[last_user].text)


def unconfirmed_writes(rows: list[Row]) -> _Tally:
    tally = _Tally()
    for row in rows:
        if not _ASKS_CONFIRMATION.search(row.system):
            continue
        for i, call, _ in _pairs(row):
            if tool_kind(call.name) == "write":
                tally.add(not _confirmed_before(row, i), f"{row.id}: {call.name} with no confirmation")
    return tally


_PARTICIPLES = (
    r"placed|created|booked|added|updated|cancell?ed|sent|scheduled|rescheduled|submitted|processed|completed"
    r"|made|changed|removed|deleted|issued|refunded|transferred|paid|registered|reserved|saved|moved"
    r"|renamed|assigned|marked|archived|closed|opened|posted|uploaded|shipped|applied|confirmed|finished"
    r"|set up|taken care of|approved|ordered|purchased"
)
_SUCCESS = re.compile(
    rf"\bdone\b|\bsuccess(ful(ly)?)?\b|\ball set\b|\b(has|have|had) been ({_PARTICIPLES})\b"
    rf"|\b(is|are|was|were) (now )?({_PARTICIPLES})\b|\bI(['’]ve| have) (gone ahead and |now |just )?({_PARTICIPLES})\b"
    r"|\bI['’]?ve\b",
    re.IGNORECASE,
)
_FAILURE = re.compile(
    r"\b(fail(ed|ure|s)?|error|unable|couldn['’]?t|could not|can['’]?t|cannot|didn['’]?t|did not|wasn['’]?t"
    r"|was not|isn['’]?t|not (been|able|possible)|unfortunately|unavailable)\b",
    re.IGNORECASE,
)


_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


def claims_success(text: str) -> bool:
    """A reply that reports success and admits no failure; what it quotes is not its own claim."""
    text = _QUOTED.sub("“…”", text)
    return bool(_SUCCESS.search(text)) and not _FAILURE.search(text)


def success_after_error(rows: list[Row]) -> _Tally:
    tally = _Tally()
    for row in rows:
        last_error = None  # the latest tool result, when it was an error
        for turn in row.turns:
            if turn.role == "tool":
                last_error = turn if turn.error else None
            elif turn.role == "assistant" and turn.text.strip() and last_error is not None:
                tally.add(claims_success(turn.text), f"{row.id}: “{turn.text}” after {last_error.text}")
    return tally


def _distinct(row_texts: list[tuple[str, str]], what: str, first: dict[str, str] | None = None) -> _Tally:
    """Counts repeats: the figure reports distinct = denominator - numerator. `first` (each
    masked text's first row) carries over from earlier batches of the same dataset."""
    tally = _Tally()
    first = {} if first is None else first
    for row_id, text in row_texts:
        template = mask(text)
        tally.add(template in first, f"{row_id}: same {what} as {first.get(template)}: “{template}”")
        first.setdefault(template, row_id)
    return tally


def distinct_openings(rows: list[Row], first: dict[str, str] | None = None) -> _Tally:
    openings = [(r.id, next((t.text for t in r.turns if t.role == "user"), None)) for r in rows]
    return _distinct([(i, t) for i, t in openings if t is not None], "opening", first)


def distinct_finals(rows: list[Row], first: dict[str, str] | None = None) -> _Tally:
    finals = [(r, r.final_index()) for r in rows]
    return _distinct([(r.id, r.turns[i].text) for r, i in finals if i is not None], "final", first)


@dataclass(frozen=True)
class _Spec:
    name: str
    title: str
    measure: Callable[..., _Tally]  # (rows) or, for the distinct figures, (rows, first texts)
    bar: Literal["max", "min"]
    limit: float
    inverted: bool = False  # the tally counts misses (so its examples show them); the figure the rest


FIGURES = [
    _Spec("description_echo", "user turns quoting a tool description (6+ words)", description_echo, "max", 0),
    _Spec("ungrounded_call_ids", "id-like call arguments not seen earlier", ungrounded_call_ids, "max", 0.02),
    _Spec("ungrounded_final", "final replies with unseen ids or numbers", ungrounded_final, "max", 0.05),
    _Spec("final_uses_result", "final replies using the last result", final_uses_result, "min", 0.9, True),
    _Spec("filler_results", "tool results with filler values", filler_results, "max", 0),
    _Spec("bad_dates", "date/time fields that are not dates", bad_dates, "max", 0.02),
    _Spec("reread_mismatch", "re-reads that disagree with no write between", reread_mismatch, "max", 0.02),
    _Spec("unconfirmed_writes", "writes without the confirmation asked for", unconfirmed_writes, "max", 0.05),
    _Spec("success_after_error", "success claims after an error", success_after_error, "max", 0),
    _Spec("distinct_openings", "distinct openings (masked)", distinct_openings, "min", 0.9, True),
    _Spec("distinct_finals", "distinct final replies (masked)", distinct_finals, "min", 0.9, True),
]


class AuditTally:
    """The audit of a dataset fed in batches of rows (an export streams its rows): the same
    report as `audit_rows` over all of them, holding only counts, the first examples and the
    distinct figures' masked texts."""

    def __init__(self) -> None:
        self.rows = 0
        self.rows_with_tool_calls = 0
        self.domains: Counter[str] = Counter()
        self.tallies = {spec.name: _Tally() for spec in FIGURES}
        self.first: dict[str, dict[str, str]] = {"distinct_openings": {}, "distinct_finals": {}}

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        parsed = [parse_row(row, self.rows + i) for i, row in enumerate(rows)]
        self.rows += len(parsed)
        self.rows_with_tool_calls += sum(any(t.calls for t in r.turns) for r in parsed)
        self.domains.update(r.domain for r in parsed if r.domain is not None)
        for spec in FIGURES:
            first = self.first.get(spec.name)
            batch = spec.measure(parsed) if first is None else spec.measure(parsed, first)
            total = self.tallies[spec.name]
            total.hits += batch.hits
            total.seen += batch.seen
            total.examples += batch.examples[: MAX_EXAMPLES - len(total.examples)]

    def report(self, bad_lines: Iterable[BadLine] = ()) -> AuditReport:
        return AuditReport(
            rows=self.rows,
            rows_with_tool_calls=self.rows_with_tool_calls,
            domains=dict(sorted(self.domains.items())),
            bad_lines=list(bad_lines),
            figures=[_figure(spec, self.tallies[spec.name]) for spec in FIGURES],
        )


def _figure(spec: _Spec, tally: _Tally) -> Figure:
    return Figure(
        name=spec.name,
        title=spec.title,
        numerator=tally.seen - tally.hits if spec.inverted else tally.hits,
        denominator=tally.seen,
        bar=spec.bar,
        limit=spec.limit,
        examples=tally.examples,
    )


def audit_rows(rows: Iterable[dict[str, Any]], bad_lines: Iterable[BadLine] = ()) -> AuditReport:
    """Measure exported rows (`openai.jsonl` lines as dicts) against every figure's bar."""
    tally = AuditTally()
    tally.add(rows)
    return tally.report(bad_lines)


def audit_jsonl(text: str) -> AuditReport:
    rows, bad = parse_jsonl(text)
    return audit_rows(rows, bad)
