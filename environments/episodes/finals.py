"""The assistant's last word: what was looked up or changed, said as the answer to the request.

A final reply is built from the episode's successful calls: the last one's tool (its verb and
object, through `semantics`), the filters it was given and the result's own field names, with
every value quoted verbatim from the conversation. It never names a tool and never states a value
the conversation has not shown: an argument is quoted only when it occurs in what the user, the
system or a result said (`seen`). Wording varies first with the content (the record, the filters,
the change) and then among a few phrasings picked by a stable key, so a task reads the same on
every run. When the last call only re-reads or looks around after a change, the reply leads with
the change, so the user hears what was done before what was seen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from environments.episodes.executors.semantics import semantics
from environments.episodes.phrasing import end_once, field_name, pick, quote, show, style_family
from environments.episodes.state import singular
from toolforge.core.types import ToolSpec
from toolforge.core.values import words


@dataclass(frozen=True)
class Step:
    """One successful call of the episode: what was called, with what, and what came back."""

    tool: ToolSpec
    arguments: dict[str, Any]
    result: Any


# How many facts of a record a reply gives, by the user's style: a terse user gets the answer,
# a precise one ("give me the exact details") gets the details too.
_DETAIL = {"terse": 1, "brief": 2, "friendly": 2, "polite": 3, "precise": 4}


def final_reply(steps: Sequence[Step], key: Any, seen: str | None = None, style: str = "") -> str:
    """The reply after `steps` (the successful calls, in order). `seen`: the text the user, the
    system and the results showed; None quotes every argument (a blueprint's own reference).
    `style`: the user's, which sets how much detail the reply gives."""
    return end_once(_reply(steps, key, seen, style))


def _reply(steps: Sequence[Step], key: Any, seen: str | None, style: str) -> str:
    if not steps:
        return "All done."
    detail, names = _DETAIL[style_family(style)], _names(steps)
    last = steps[-1]
    if semantics(last.tool).mutates:
        return _Reply(last, seen, key, detail, names).changed()
    write = next((s for s in reversed(steps) if semantics(s.tool).mutates), None)
    if write is None:
        return _Reply(last, seen, key, detail, names).looked_up()
    # The read is of the record the change touched (its id, or its path), named or made by it.
    record = last.result if isinstance(last.result, dict) else {}
    rid = record.get("id", record.get("path"))
    made = write.result.get("id") if isinstance(write.result, dict) else None
    lead = _Reply(write, seen, key, detail, names)
    again = past(lead.verb) if rid is not None and rid in (*write.arguments.values(), made) else ""
    return f"{lead.changed(brief=True)} {_Reply(last, seen, key, detail, names).looked_up(again)}".strip()


def _names(steps: Sequence[Step]) -> dict[str, str]:
    """The name or title each id had in a result (`prd_lamp` → "Desk lamp LED"), so a later
    reference to it (a cart line) reads as people say it."""
    out: dict[str, str] = {}
    for step in steps:
        result = step.result
        records = [result] if isinstance(result, dict) else result if isinstance(result, list) else []
        records += [
            x
            for r in list(records)
            if isinstance(r, dict)
            for v in r.values()
            if isinstance(v, list)
            for x in v
        ]
        for record in records:
            titled = _title(record) if isinstance(record, dict) else None
            if titled and titled[0] in _TITLE_KEYS and isinstance(record.get("id"), str):
                out[record["id"]] = titled[1]
    return out


def _ref(value: str, names: dict[str, str]) -> str:
    return f"{names[value]} ({value})" if value in names else value


# ---- words ----------------------------------------------------------------------------------------

_IRREGULAR = {
    "write": "written",
    "send": "sent",
    "make": "made",
    "set": "set",
    "put": "put",
    "pay": "paid",
    "buy": "bought",
    "get": "got",
    "find": "found",
    "begin": "begun",
    "run": "run",
    "do": "done",
    "read": "read",
    "hold": "held",
    "give": "given",
    "take": "taken",
    "sell": "sold",
    "keep": "kept",
    "shut": "shut",
    "reset": "reset",
    "upload": "uploaded",
    "open": "opened",
    "cancel": "cancelled",
    "submit": "submitted",
}
_PREP_BY_VERB = {"add": "to", "append": "to", "invite": "to", "assign": "to", "attach": "to", "link": "to"}
_PREP_BY_VERB |= {"remove": "from", "detach": "from", "unlink": "from", "delete": "from"}
_QUERY_KEYS = {"query", "q", "search", "keyword", "keywords", "term", "text"}
_TITLE_KEYS = ("title", "subject", "label", "name")
_TEXT_KEYS = {"body", "content", "text", "description", "notes", "message"}
_WHEN = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$")


def past(verb: str) -> str:
    """`ship` → "shipped", `place` → "placed", `write` → "written": the verb as a done thing."""
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    for prefix in ("un", "re"):  # untag → untagged, reset → reset: the stem's own past
        if verb.startswith(prefix) and len(verb) >= len(prefix) + 2 and verb[len(prefix)] not in "aeiou":
            stem = verb[len(prefix) :]
            if stem in _IRREGULAR or re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", stem):
                return prefix + past(stem)
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 2 and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", verb):  # ship, tag, drop: one short syllable
        return verb + verb[-1] + "ed"
    return verb + "ed"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _series(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _when(value: str) -> str:
    """ "2026-12-03T10:00" → "2026-12-03 10:00" (the same digits, as a person writes them)."""
    m = _WHEN.match(value)
    return f"{m.group(1)} {m.group(2)}" if m else value


def _span(start: Any, end: Any) -> str:
    if not isinstance(start, str) or not start:
        return ""
    if not isinstance(end, str) or not end:
        return f"at {_when(start)}"
    a, b = _WHEN.match(start), _WHEN.match(end)
    if a and b and a.group(1) == b.group(1):
        return f"on {a.group(1)} from {a.group(2)} to {b.group(2)}"
    return f"from {_when(start)} to {_when(end)}"


def _text(value: str, width: int = 70) -> str:
    """A long text cut at a word, so no number is cut into another."""
    flat = " ".join(value.split())
    if len(flat) <= width:
        return f"“{flat}”"
    return f"“{flat[:width].rsplit(' ', 1)[0]}…”"


def _kind_of(key: str) -> str:
    return " ".join(words(key)[:-1]) if key.endswith(("_id", "Id")) else ""


def _is_id_key(key: str) -> bool:
    return key == "id" or key.endswith(("_id", "Id"))


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


# ---- records --------------------------------------------------------------------------------------


def _title(record: dict[str, Any]) -> tuple[str, str] | None:
    for k in (*_TITLE_KEYS, "path", "email"):
        if isinstance(record.get(k), str) and record[k]:
            return k, record[k]
    return None


def label(record: dict[str, Any], kind: str, names: dict[str, str] | None = None) -> str:
    """A record as people name it: `event “Design review” (evt_0002)`, `Ada Lovelace (cus_ada)`,
    `order ord_0001`, `file /plan.md`, `the cart for customer cus_ada`."""
    rid = record.get("id")
    rid = str(rid) if _scalar(rid) else None
    titled = _title(record)
    if titled and titled[1] != rid:
        key, name = titled
        named = (
            name if key == "name" else f"{kind} {name}" if key in ("path", "email") else f"{kind} “{name}”"
        )
        return f"{named} ({rid})" if rid else named
    if rid:
        # A record that came back without its name (a deletion's receipt) by the name an
        # earlier result gave it.
        return f"{kind} “{names[rid]}” ({rid})" if names and rid in names else f"{kind} {rid}"
    owner = _owner(record, names)
    return f"the {kind} {owner}" if owner else f"the {kind}"


def _owner(record: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """Whose record it is, from its first reference to another: "for customer cus_ada"."""
    for k, v in record.items():
        if k != "id" and _is_id_key(k) and isinstance(v, str) and v:
            return f"for {_kind_of(k)} {_ref(v, names or {})}"
    return ""


def _item(
    record: dict[str, Any],
    kind: str,
    day: str = "",
    names: dict[str, str] | None = None,
    skip: frozenset[str] = frozenset(),
) -> str:
    """One item of a list, short: its name and one or two facts; a span on `day` (the day the
    list is about) without the day again."""
    if isinstance(record.get("quantity"), int):
        ref = next((v for k, v in record.items() if _is_id_key(k) and isinstance(v, str)), None)
        if ref:
            return f"{record['quantity']} × {_ref(ref, names or {})}"
    span = _span(record.get("start"), record.get("end"))
    if day and span.startswith(f"on {day} "):
        span = span.removeprefix(f"on {day} ")
    if not _title(record) and not _scalar(record.get("id")):
        return span or ", ".join(quote(k, v) for k, v in record.items() if _scalar(v))
    name = label(record, kind).removeprefix(f"{kind} ")
    facts = [span] if span else _facts(record, limit=2, short=True, skip=skip)
    return ", ".join([name, *facts])


def _facts(
    record: dict[str, Any],
    limit: int,
    short: bool = False,
    skip: frozenset[str] = frozenset(),
    names: dict[str, str] | None = None,
) -> list[str]:
    """The record's facts a user cares about, in the order people give them: status, what it
    says, amounts, counts, lists, the rest; empty values, references to other records and the
    label's own fields left out. `short`: only status and numbers (an item of a list)."""
    titled = _title(record)
    used = {"id", "start", "end", *skip} | ({titled[0]} if titled else set())
    ranked: list[tuple[int, str]] = []
    for k, v in record.items():
        if k in used or v in ("", None) or isinstance(v, bool) or _is_id_key(k):
            continue
        name = field_name(k)
        if k == "status" and isinstance(v, str):
            ranked.append((0, v if short else f"status {v}"))
        elif isinstance(v, str) and k in _TEXT_KEYS and not short:
            ranked.append((1, f"it says {_text(v)}"))
        elif k.endswith("_cents") and isinstance(v, int):
            if v or not any(r == 2 for r, _ in ranked):
                ranked.append((2, f"{name} {v} cents"))
        elif isinstance(v, int | float):
            ranked.append((3, f"{name} {v}"))
        elif isinstance(v, list) and v and all(_scalar(x) for x in v) and not short:
            shown = ", ".join(show(x) for x in v[:3]) + (f" and {len(v) - 3} more" if len(v) > 3 else "")
            ranked.append((4, f"{name}: {shown}"))
        elif isinstance(v, list) and v and isinstance(v[0], dict) and not short:
            items = [_item(x, singular(k), names=names) for x in v[:3] if isinstance(x, dict)]
            ranked.append((4, _series(items) + (f" and {len(v) - 3} more" if len(v) > 3 else "")))
        elif isinstance(v, list) and not v and not short:
            ranked.append((4, f"no {name}"))
        elif isinstance(v, str) and len(v) <= 60 and not short:
            ranked.append((5, f"{name} “{v}”" if len(v.split()) > 2 else f"{name} {v}"))
    return [text for _, text in sorted(ranked, key=lambda r: r[0])[:limit]]


def _list_field(result: dict[str, Any], kind: str, listing: bool) -> str | None:
    """The key of the list a result is made of (`events`, `slots`), when it is one."""
    if "id" in result:
        return None
    for k, v in result.items():
        if isinstance(v, list) and (not v or isinstance(v[0], dict)):
            if singular(k) == kind or "count" in result or listing:
                return k
    return None


def _number(noun: str, count: int) -> str:
    """The noun for `count` things: "1 free slot", "3 orders"."""
    head, _, last = noun.rpartition(" ")
    return f"{head} {singular(last) if count == 1 else last}".strip()


# ---- the reply ------------------------------------------------------------------------------------

_PREPS = ("to", "from", "into", "onto", "on")


class _Reply:
    """The words for one step's outcome; `detail`: how many of a record's facts to give."""

    def __init__(self, step: Step, seen: str | None, key: Any, detail: int, names: dict[str, str]) -> None:
        self.step, self.seen, self.key, self.detail, self.names = step, seen, key, detail, names
        self.sem = semantics(step.tool)
        self.verb, *rest = words(step.tool.name) or ["do"]
        self.prep = next((w for w in rest if w in _PREPS), None)
        self.object = [w for w in rest if w not in (*_PREPS, "by", "for", "the", "a", "my", "all")]

    def said(self, value: Any) -> bool:
        """The value may be quoted: the conversation showed it."""
        if not _scalar(value) or len(str(value)) > 60:
            return False
        if self.seen is None:
            return True
        return re.search(rf"(?<![\w-]){re.escape(show(value))}(?![\w-])", self.seen) is not None

    def kind(self, record: dict[str, Any]) -> str:
        """The record's kind: the id argument that names it (`event_id` → event); for a record
        without an id (a cart), the tool's object; else the tool's entity."""
        rid = record.get("id")
        for k, v in self.step.arguments.items():
            if rid is not None and v == rid and _kind_of(k):
                return _kind_of(k)
        if rid is None and self.object:
            return singular(self.object[-1])
        if rid is not None and f"{self.sem.kind}_id" in record:
            # a record that refers to a `kind` is none itself: book_flight makes a booking of a
            # flight, named as the tool's output schema names it
            title = (self.step.tool.output_schema or {}).get("title")
            if isinstance(title, str) and title.isalpha():
                return " ".join(re.findall(r"[A-Z]?[a-z]+", title)).lower()
        return self.sem.kind.replace("_", " ")

    def name(self, record: dict[str, Any]) -> str:
        """The record's label, with whose it is when it has an id of its own."""
        named = label(record, self.kind(record), self.names)
        owner = _owner(record, self.names) if _scalar(record.get("id")) else ""
        return f"{named} {owner}" if owner else named

    # -- looked up -------------------------------------------------------------------------------

    def looked_up(self, again: str = "") -> str:
        """What a read found. `again`: the record was just changed (the change's verb, "shipped"),
        so it is "it", and a status that only repeats the change is not said."""
        result = self.step.result
        if isinstance(result, list):
            result = {"items": result}
        if not isinstance(result, dict):
            options = [f"Here's what came back: {show(result)}.", f"The answer is {show(result)}."]
            return pick(options, "final", "value", self.key)
        target = singular(self.object[-1]) if self.object else ""
        field = _list_field(result, target, self.sem.effect == "list")
        if field is not None:
            return self.listing(result, field)
        name = "it" if again else self.name(result)
        span = _span(result.get("start"), result.get("end"))
        facts = _facts(result, limit=self.detail, skip=frozenset({"status"}), names=self.names)
        said = ", ".join(facts)
        status = result.get("status")
        if again and status == again:  # "I've shipped order X." needs no "it is now shipped"
            status = None
            if span:
                facts.insert(0, f"it is {span}")
            return f"{_cap(', '.join(facts[: max(self.detail, 1)]))}." if facts else ""
        if isinstance(status, str) and status:
            head = f"{name} is {status}" + (f", {span}" if span else "")
            if not said:
                return f"{_cap(head)}."
            options = [
                f"{_cap(head)}; {said}.",
                f"{_cap(head)}. {_cap(said)}.",
                f"{_cap(head)}. Details: {said}.",
            ]
            if not again:
                it = f"it is {status}" + (f", {span}" if span else "")
                options += [f"I looked up {name}: {it}; {said}.", f"Here is {name}: {it}; {said}."]
            return pick(options, "final", "read", self.key)
        if again and said:  # the change named it: its facts are the news
            return f"{_cap(said)}."
        head = f"{name} {span}".strip()
        if empty := _empty(result):
            said = ", ".join(f for f in facts if not f.startswith("no "))
            options = [
                f"{_cap(head)} is empty.",
                f"{_cap(head)} has {empty} yet.",
                f"There is nothing in {head}.",
            ]
            if said and self.detail > 1:
                options = [
                    f"{_cap(head)} is empty; {said}.",
                    f"There is nothing in {head} yet ({said}).",
                    f"{_cap(head)} has {empty}, {said}.",
                    f"I looked: {head} is empty, {said}.",
                    f"{_cap(head)} has nothing in it yet; {said}.",
                ]
            return pick(options, "final", "empty", self.key)
        if not said:
            return f"{_cap(head)}."
        options = [
            f"Here is {head}: {said}.",
            f"{_cap(head)}: {said}.",
            f"I looked up {head}: {said}.",
            f"I found {head}; {said}.",
        ]
        return pick(options, "final", "read", self.key)

    def listing(self, result: dict[str, Any], field: str) -> str:
        items = [x for x in result[field] if isinstance(x, dict)]
        counted = isinstance(result.get("count"), int)
        count = result["count"] if counted else len(items)
        own = self.object and singular(self.object[-1]) == singular(field)
        noun = " ".join(self.object) if own else field_name(field)
        status = self.step.arguments.get("status")
        filtered = frozenset({"status"}) if self.said(status) else frozenset()
        if filtered:
            noun = f"{status} {noun}"  # "placed orders": the items need not say it again
        noun = _number(noun, count)
        where, day = self.context(result, field)
        if count == 0:
            if counted:  # "0", not "no": the count is all such a result says, and the reply quotes it
                options = [
                    f"I found 0 {noun}{where}.",
                    f"I looked and found 0 {noun}{where}.",
                    f"There are 0 {noun}{where}, so nothing to show.",
                    f"0 {noun}{where}: there is nothing there.",
                    f"I checked: 0 {noun}{where}.",
                    f"The result is 0 {noun}{where}.",
                ]
            else:
                options = [
                    f"I found no {noun}{where}.",
                    f"There are no {noun}{where}.",
                    f"No {noun} came up{where}.",
                ]
            return pick(options, "final", "none", self.key)
        kind = singular(field_name(field))
        shown = [x for x in (_item(r, kind, day, self.names, filtered) for r in items[:4]) if x]
        listed = "; ".join(shown) + (" and more" if count > len(shown) else "")
        n = str(count) if count < 10 or self.said(count) else "several"
        be = "is" if count == 1 else "are"
        options = [
            f"I found {n} {noun}{where}: {listed}.",
            f"There {be} {n} {noun}{where}: {listed}.",
            f"{_cap(n)} {noun}{where}: {listed}.",
            f"Here {be} the {noun}{where}: {listed}.",
        ]
        if count == 1:
            options += [f"Only one {noun}{where}: {listed}.", f"There is just one {noun}{where}, {listed}."]
        return pick(options, "final", "list", self.key)

    def context(self, result: dict[str, Any], field: str) -> tuple[str, str]:
        """The filters the call was given, as the user asked them ("for calendar cal_home on
        2026-12-03", "tagged work", "matching “lamp”"), and the day they name, if one."""
        args = {k: v for k, v in self.step.arguments.items() if k != "status" and self.said(v)}
        for k, v in result.items():  # what the result says it was about (the day of a slot list)
            if k not in (field, "count") and _scalar(v) and k not in args:
                args[k] = v
        parts: list[str] = []
        day = ""
        if "start" in args and "end" in args:
            parts.append(f"between {_when(str(args.pop('start')))} and {_when(str(args.pop('end')))}")
        for k, v in args.items():
            if _kind_of(k):
                parts.insert(0, f"for {_kind_of(k)} {v}")
            elif k in _QUERY_KEYS:
                parts.append(f"matching “{v}”")
            elif k in ("tag", "label"):
                parts.append(f"tagged {v}")
            elif k in ("day", "date"):
                parts.append(f"on {v}")
                day = str(v)
            elif k in ("prefix", "folder", "path", "directory"):
                parts.append(f"under {v}")
            elif k in ("start", "start_after", "after", "since"):
                parts.append(f"from {_when(str(v))}")
            elif k in ("end", "end_before", "before", "until"):
                parts.append(f"until {_when(str(v))}")
            elif k.endswith("_minutes"):
                parts.append(f"of {v} minutes")
            elif k == "category":
                parts.append(f"in {v}")
            elif isinstance(v, str):
                parts.append(f"with {field_name(k)} {v}")
        parts += [
            " ".join(words(k)[:-1])
            for k, v in self.step.arguments.items()
            if k.endswith("_only") and v is True
        ]
        return "".join(f" {p}" for p in parts[:3]), day

    # -- changed ---------------------------------------------------------------------------------

    def changed(self, brief: bool = False) -> str:
        """What a write did; `brief`: the headline only (a later read tells the rest)."""
        result = self.step.result
        verb = past(self.verb)
        if not isinstance(result, dict):
            what = " ".join(self.object) or "change"
            return pick([f"I've {verb} the {what}.", f"The {what} is {verb}."], "final", "done", self.key)
        name = self.moved(result) or self.name(result)
        field = self.field_set(result)
        made_of = self.made_of(result)
        thing = "" if field or made_of else self.thing(result)
        prep = self.prep or _PREP_BY_VERB.get(self.verb, "on")
        head = f"{verb} {thing} {prep} {name}" if thing else f"{verb} {name}"
        if made_of:  # book_flight: "booked flight flt_0106 as booking bkg_0001 for traveller …"
            head = f"{verb} {made_of} as {name}"
        if field:  # set_ticket_priority: "set the priority of ticket T to high", not "set high on …"
            record = label(result, self.kind(result), self.names)
            head = f"{verb} the {field_name(field)} of {record} to {show(self.step.arguments[field])}"
        if brief:
            return f"I've {head}."
        # What the user gave comes first (a change's new values, a new record's reason), then when
        # it is, its status and the rest; the arguments are not said twice.
        given = [
            k
            for k, v in self.step.arguments.items()
            if isinstance(v, str) and not _is_id_key(k) and k != field
        ]
        titled = _title(result)  # the head names the record by its (new) title: not said again
        news = {k: v for k, v in self.news(result).items() if k != field and not (titled and k == titled[0])}
        facts = list(news.values())
        if self.sem.effect != "update":  # an update's values are its news
            facts += _facts({k: result[k] for k in given if k in result}, limit=2)
        span = _span(result.get("start"), result.get("end"))
        if span:
            facts.append(f"it now runs {span}" if self.sem.effect == "update" else f"it is {span}")
        status = result.get("status")
        if isinstance(status, str) and status and status != verb and self.sem.effect in ("delete", "action"):
            facts.append(f"its status is {status}")
        skip = {"status", *news, *(k for k in self.step.arguments if k in result)}
        if thing:  # a list holding only what was just put in says it twice
            skip |= {k for k, v in result.items() if isinstance(v, list) and len(v) == 1}
        rest = _facts(result, limit=max(0, self.detail - len(facts)), skip=frozenset(skip), names=self.names)
        facts += [f for f in rest if not f.startswith("no ")]  # an empty list of a new record is no news
        said = ", ".join(facts[: max(self.detail, 1)])
        if not said:
            options = [f"I've {head}.", f"Done: I've {head}.", f"{_cap(head)} as you asked."]
            if not thing:
                options += [f"Done: {name} is {verb}.", f"{_cap(name)} is {verb} now."]
            return pick(options, "final", "done", self.key)
        options = [
            f"I've {head}; {said}.",
            f"Done: I've {head}. {_cap(said)}.",
            f"I've {head} as you asked. {_cap(said)}.",
            f"{_cap(head)}: {said}.",
            f"I've {head} for you; {said}.",
        ]
        if not thing and status in (None, verb):
            options.append(f"{_cap(name)} is {verb}; {said}.")
        return pick(options, "final", "done", self.key)

    def moved(self, result: dict[str, Any]) -> str:
        """ "file /a.md to /b.md" when the call gave a record a `new_` value it now has."""
        for k, v in self.step.arguments.items():
            old = self.step.arguments.get(k.removeprefix("new_"))
            if k.startswith("new_") and result.get(k[4:]) == v and self.said(old) and self.said(v):
                return f"{self.kind(result)} {old} to {v}"
        return ""

    def made_of(self, result: dict[str, Any]) -> str:
        """ "flight flt_0106" when the call made a record of another kind for the one it is named
        after (book_flight makes a booking of a flight); "" otherwise."""
        if not self.object or self.prep is not None:
            return ""
        noun = singular(self.object[-1])
        ref = result.get(f"{noun}_id")
        if not _scalar(ref) or self.kind(result) == noun or not self.said(ref):
            return ""
        return f"{noun} {_ref(str(ref), self.names)}"

    def field_set(self, result: dict[str, Any]) -> str | None:
        """The field a setter is named after (`set_ticket_priority` → priority) when the call gave
        it and the record now has that value; None for other writes."""
        field = self.object[-1] if self.object else None
        if field is None or self.prep is not None or field not in self.step.arguments:
            return None
        value = self.step.arguments[field]
        return field if self.said(value) and result.get(field) == value else None

    def thing(self, result: dict[str, Any]) -> str:
        """What a tool put into (or took out of) a record, when it is not the record itself: the
        attendee added to an event, the product put in a cart, the line appended to a note."""
        kind = self.kind(result).split()[-1]
        if not self.object or (self.prep is None and singular(self.object[-1]) == kind):
            return ""
        values = [(k, v) for k, v in self.step.arguments.items() if self.said(v)]
        # The ids that name the record itself (or whose it is) are said by its label, not here.
        values = [(k, v) for k, v in values if not (_is_id_key(k) and result.get(k, result.get("id")) == v)]
        quantity = next((v for k, v in values if k == "quantity"), None)
        ref = next((v for k, v in values if _is_id_key(k)), None)
        if quantity is not None and ref is not None:
            return f"{quantity} × {_ref(str(ref), self.names)}"
        shown = [f"“{v}”" if isinstance(v, str) and " " in v else str(v) for _, v in values]
        return _series(shown[:2])

    def news(self, result: dict[str, Any]) -> dict[str, str]:
        """What the call set, read back from the result, by the result's key: "its title is now
        “Goals”", "tags: planning, work"."""
        out: dict[str, str] = {}
        for k, v in self.step.arguments.items():
            if _is_id_key(k) or k in ("start", "end"):
                continue
            if self.sem.effect == "update" and isinstance(v, str) and result.get(k) == v:
                out[k] = f"its {field_name(k)} is now {_text(v) if k in _TEXT_KEYS or ' ' in v else v}"
            for rk, rv in result.items():
                if rk != k and isinstance(rv, list) and v in rv:
                    out[rk] = f"{field_name(rk)}: {', '.join(show(x) for x in rv[:4])}"
        return dict(list(out.items())[:2])


def _empty(record: dict[str, Any]) -> str:
    """ "no lines" for a record whose lists are all empty (an empty cart); else ""."""
    lists = [k for k, v in record.items() if isinstance(v, list)]
    return f"no {field_name(lists[0])}" if lists and all(not record[k] for k in lists) else ""
