"""The words around a blueprint, without a model: what the user wants, how they open and how the
assistant asks before a change (what it reports at the end is `finals`).

Everything is built from a tool's *name* (its verb and object) and from the values of the world
(arguments and results, quoted verbatim), never from a tool's description: a description pasted
into a user turn teaches a model that users talk like API docs. Wording is drawn from phrase
banks varied by the persona's style, keyed by a stable hash so a task reads the same on every run.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

from toolforge.core.values import words

_STOP = {"a", "an", "the", "to", "for", "of", "by", "from", "in", "on", "my", "and", "or", "with"}
_READ_VERBS = {
    "get": "check",
    "read": "read",
    "fetch": "check",
    "retrieve": "check",
    "show": "see",
    "describe": "check",
    "lookup": "look up",
    "view": "see",
    "load": "open",
    "check": "check",
    "find": "find",
    "list": "see",
    "search": "find",
    "query": "find",
    "browse": "browse",
}


def pick(options: list[str] | tuple[str, ...], *key: Any) -> str:
    """One of `options`, the same for the same key on every run."""
    return options[zlib.crc32(repr(key).encode()) % len(options)]


def show(value: Any) -> str:
    """A value as the user or the assistant would quote it: verbatim, money kept in its unit."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False)


def fact(key: str, value: Any) -> str:
    """One fact as the user states it: "the title is Groceries", "the tags are vendor, home",
    "the number of bags is 2"."""
    verb = "are" if isinstance(value, list) else "is"
    said = f"“{value}”" if _prose(value) else show(value)
    return f"the {spoken_key(key, value)} {verb} {said}"


def _prose(value: Any) -> bool:
    """A sentence, not a name or a code: quoted when said, so it never runs into the line."""
    return isinstance(value, str) and len(value.split()) > 3


def spoken_key(key: str, value: Any) -> str:
    """`bags=2` → "number of bags" (not "the bags is 2"); other keys as `field_name` says them."""
    name = field_name(key)
    plural = name.endswith("s") and not name.endswith(("ss", "us", "is"))
    counted = isinstance(value, int) and not isinstance(value, bool)
    return f"number of {name}" if plural and counted else name


_DOUBLED_STOP = re.compile(r"([.!?…])([”\"’)]?)\.")


def end_once(text: str) -> str:
    """One full stop at a sentence's end, also after a quoted sentence: “Meet at 5.”. → “Meet at 5.”"""
    return _DOUBLED_STOP.sub(r"\1\2", text)


def field_name(key: str) -> str:
    """`price_cents` → "price", `customer_id` → "customer id": a key as people say it."""
    parts = [w for w in words(key) if w != "cents"]
    return " ".join(parts) or key


def quote(key: str, value: Any) -> str:
    """`total_cents=5198` → "5198 cents"; other values verbatim."""
    if key.endswith("_cents") and isinstance(value, int):
        return f"{value} cents"
    return show(value)


# ---- the user's side ------------------------------------------------------------------------------


_QUERY_KEYS = {"query", "q", "search", "keyword", "keywords", "term", "text"}
# What a write puts in a record ("append_to_note(text=…)" adds that text): quoted as what it says,
# never as a search term.
_CONTENT_KEYS = {"text", "content", "body", "message"}
# Verbs whose object takes a preposition: "append to note garden", not "append note garden".
_VERB_WITH_PREPOSITION = {"append": "append to", "subscribe": "subscribe to", "reply": "reply to"}
_SEARCH_VERBS = {"find", "search", "query", "list", "browse", "lookup", "filter"}


def intent(tool_name: str, arguments: dict[str, Any], known: dict[str, Any]) -> str:
    """What the user wants from one call, in their words: the tool name's verb and object, with
    the values the user knows (`known`) woven in, e.g. "cancel order ord_0002" or "see the
    orders for customer cus_alan"."""
    ws = words(tool_name)
    if not ws:
        return "get this done"
    verb, rest = ws[0], [w for w in ws[1:] if w not in _STOP]
    verb = _READ_VERBS.get(verb, _VERB_WITH_PREPOSITION.get(verb, verb))
    obj = " ".join(rest)
    head = f"{verb} {_article(obj)}{obj}".strip()
    if ws[0] in _VERB_WITH_PREPOSITION:  # append_to_note: "append to the note"
        head = f"{verb} the {obj}"
    elif len(ws) > 2 and ws[1] in ("to", "from", "into", "onto", "on"):  # add_to_cart, remove_from_list
        head = f"{verb} an item {ws[1]} the {obj}"
    extras = []
    for key in sorted(known, key=_said_first):
        if arguments.get(key) != known[key] or not _speakable(known[key]):
            continue  # the user knows it, but this call takes another value (one a result gave)
        value = show(known[key])
        kind = " ".join(words(key[:-3])) if key.endswith("_id") else ""
        if kind and rest and kind == " ".join(rest):
            head = f"{verb} {obj} {value}"
        elif kind:
            extras.append(f"for {kind} {value}")
        elif key in _QUERY_KEYS and (key not in _CONTENT_KEYS or ws[0] in _SEARCH_VERBS):
            extras.append(f"matching “{value}”")
        elif key in _CONTENT_KEYS:
            extras.append(f"saying “{value}”")
        elif key in _TITLE_KEYS:
            extras.append(f"called “{value}”")
        elif key == "start":
            extras.append(f"starting {value}")
        elif key == "end" and "start" in known:
            continue  # the start says when; the end is given as a fact
        else:
            extras.append(f"with {field_name(key)} {value}")
    return " ".join([head, *extras[:3]])


def _said_first(key: str) -> tuple[int, str]:
    """The order a person names things in: what it is called, whose it is, when, the rest."""
    if key in _TITLE_KEYS:
        return 0, key
    if key.endswith("_id"):
        return 1, key
    return (2, key) if key in ("start", "day", "date") else (3, key)


_TITLE_KEYS = ("title", "name", "subject", "label")


def change(
    arguments: dict[str, Any],
    sources: dict[str, str],
    record: dict[str, Any] | None,
    id_key: str | None,
    told: dict[str, Any] | None = None,
) -> str | None:
    """What an update changes, as the user asks for it: "move “Design review” (evt_0002) to
    2026-12-03T10:00", "rename “Q4 goals” (note_0002) to “Goals for Q4”"; None when nothing it
    sets differs from the record. With `told` (the facts the opening may state), a value not
    among them is left for the assistant to ask: "rename the note “Q4 goals”". A time the user
    cannot know yet (one a search will find) is asked for as "the first free slot on <day>"."""
    rid = arguments.get(id_key) if id_key else None
    if not isinstance(rid, str):
        return None
    before = record or {}

    def said(key: str) -> bool:
        return told is None or (key in told and told[key] == arguments.get(key))

    name = next((before[k] for k in _TITLE_KEYS if isinstance(before.get(k), str) and before[k]), None)
    kind = " ".join(words(id_key or "")[:-1]) or "record"
    if said(id_key or ""):
        label = f"“{name}” ({rid})" if name else rid
    else:
        label = f"the {kind} “{name}”" if name else f"{_article(kind)}{kind}"
    clauses: list[str] = []
    start, end = arguments.get("start"), arguments.get("end")
    if isinstance(start, str) and start != before.get("start"):
        if sources.get("start") == "result":
            day_told = told is None or start[:10] in {show(v) for v in told.values()}
            clauses.append("move {it} to the first free slot" + (f" on {start[:10]}" if day_told else ""))
        elif said("start"):
            ending = f", ending {end}" if isinstance(end, str) and said("end") else ""
            clauses.append(f"move {{it}} to {start}{ending}")
        else:
            clauses.append("move {it} to another time")
    elif isinstance(end, str) and end != before.get("end") and sources.get("end") != "result":
        clauses.append(f"make {{it}} end at {end}" if said("end") else "change when {it} ends")
    for key, value in arguments.items():
        if key in (id_key, "start", "end") or not _speakable(value) or value == before.get(key):
            continue
        if sources.get(key) == "result":
            continue
        to = f" to “{show(value)}”" if said(key) else ""
        if key in _TITLE_KEYS:
            clauses.append(f"rename {{it}}{to}")
        elif key in ("body", "text", "content", "description"):
            clauses.append("replace the text of {it}" + (f" with “{show(value)}”" if said(key) else ""))
        else:
            clauses.append(
                f"change the {field_name(key)} of {{it}}" + (f" to {show(value)}" if said(key) else "")
            )
    if not clauses:
        return None
    spoken = [c.replace("{it}", label if i == 0 else "it") for i, c in enumerate(clauses)]
    return spoken[0] if len(spoken) == 1 else ", ".join(spoken[:-1]) + " and " + spoken[-1]


def _article(obj: str) -> str:
    if not obj:
        return ""
    if obj.endswith("s"):
        return "the "
    return "an " if obj[0] in "aeiou" else "a "


def _speakable(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool) and len(str(value)) <= 60


def join_intents(intents: list[str]) -> str:
    if len(intents) == 1:
        return intents[0]
    return ", ".join(intents[:-1]) + " and then " + intents[-1]


_OPENINGS = {
    "brief": ["I need to {goal}.", "{Goal}, please.", "Can you {goal}?", "Quick one: {goal}."],
    "polite": [
        "Hello, I hope you can help. I'd like to {goal}.",
        "Hi there! Would you be able to {goal} for me?",
        "Good morning. Could you please help me {goal}?",
        "Hi, sorry to bother you, I'm trying to {goal}.",
    ],
    "precise": [
        "I want to {goal}. Please walk me through it.",
        "Please {goal}, and give me the exact details.",
        "I'd like to {goal}; please confirm the details with me first.",
        "Request: {goal}. I'll want to know the result.",
    ],
    "friendly": [
        "Hey! Could you {goal} for me?",
        "Hiya, hoping you can {goal}.",
        "Hey there, I'd love to {goal} today.",
        "Morning! Mind helping me {goal}?",
    ],
    "terse": ["Need to {goal}.", "{Goal}.", "Task: {goal}.", "Please {goal} now."],
}
_FACT_LINES = [
    "The {key} is {value}.",
    "It's {value} for the {key}.",
    "{Key}: {value}.",
    "Use {value} as the {key}.",
]

_TEXT_LINES = [
    "The {key} should say “{value}”.",
    "{Key}: “{value}”.",
    "For the {key}, use “{value}”.",
]


def style_family(style: str) -> str:
    s = style.lower()
    for family, marks in (
        ("terse", ("terse", "technical")),
        ("precise", ("precise", "confirm", "detail")),
        ("polite", ("polite", "unsure")),
        ("friendly", ("friendly", "informal", "warm")),
    ):
        if any(m in s for m in marks):
            return family
    return "brief"


def opening(goal: str, facts: dict[str, Any], style: str, key: Any) -> str:
    template = pick(_OPENINGS[style_family(style)], "open", key)
    text = template.replace("{goal}", goal).replace("{Goal}", goal[:1].upper() + goal[1:])
    lines = []
    for i, (name, value) in enumerate(sorted(facts.items())):
        if re.search(rf"(?<![\w-]){re.escape(show(value))}(?![\w-])", goal):
            continue  # already said inside the goal, "(note_0002)" and “Q4 goals” included
        line = pick(_TEXT_LINES if _prose(value) else _FACT_LINES, "fact", key, i)
        spoken = spoken_key(name, value)
        lines.append(
            line.replace("{key}", spoken)
            .replace("{Key}", spoken[:1].upper() + spoken[1:])
            .replace("{value}", show(value))
        )
    return end_once(" ".join([text, *lines]))


_GIVE = {
    "brief": ["{facts}.", "Sure, {facts}."],
    "polite": ["Of course! {Facts}.", "Yes, sorry: {facts}."],
    "precise": ["Certainly. {Facts}.", "Here you go: {facts}."],
    "friendly": ["Oh sure, {facts}!", "Yep, {facts}."],
    "terse": ["{Facts}.", "{Facts}."],
}
_CONFIRM = {
    "brief": ["Yes, go ahead.", "Yes please.", "Go ahead."],
    "polite": ["Yes please, that would be great.", "Yes, please go ahead. Thank you!"],
    "precise": ["Yes, that is correct. Please proceed.", "Confirmed, go ahead."],
    "friendly": ["Yep, go for it!", "Sounds good, yes please!"],
    "terse": ["Yes.", "Confirmed."],
}
_THANKS = {
    "brief": ["Thanks, that's all.", "Great, thanks."],
    "polite": ["Thank you so much, that's everything I needed.", "Wonderful, thank you for your help!"],
    "precise": ["Thank you, that answers it.", "Understood, thanks. That's all."],
    "friendly": ["Awesome, thanks a lot!", "Perfect, cheers!"],
    "terse": ["Thanks.", "Done, thanks."],
}


def give_facts(facts: dict[str, Any], style: str, key: Any) -> str:
    said = " and ".join(fact(k, v) for k, v in sorted(facts.items()))
    template = pick(_GIVE[style_family(style)], "give", key)
    return end_once(template.replace("{facts}", said).replace("{Facts}", said[:1].upper() + said[1:]))


def confirm(style: str, key: Any) -> str:
    return pick(_CONFIRM[style_family(style)], "confirm", key)


def thanks(style: str, key: Any) -> str:
    return pick(_THANKS[style_family(style)], "thanks", key)


# ---- the assistant's side -------------------------------------------------------------------------


def plan(tool_name: str, arguments: dict[str, Any]) -> str:
    """A write the assistant is about to make, stated with its arguments verbatim."""
    ws = words(tool_name)
    action = " ".join(ws) or tool_name
    details = [f"{field_name(k)} {quote(k, v)}" for k, v in arguments.items() if _speakable(v)]
    return action + (f" ({', '.join(details)})" if details else "")


_ASK = [
    "To confirm: I'll {plan}. Shall I go ahead?",
    "Before I make the change: I'm going to {plan}. Is that OK?",
    "Here's what I'll do: {plan}. Do you want me to proceed?",
    "I'm ready to {plan}. Shall I go ahead?",
]


def ask_before(plans: list[str], key: Any) -> str:
    return pick(_ASK, "ask", key).replace("{plan}", join_intents(plans))
