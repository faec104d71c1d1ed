"""The grounding check: what the agent says and sends comes from what it was shown.

Computed from the trajectory's messages alone (an exported row is enough). Each violation has a
code, and any violation fails the check:

- `ungrounded_value`: an id, number, date, time or name in the agent's text that no user turn,
  system prompt or earlier tool result holds (an amount may be rendered in another unit of 100, a
  date in another format, a number derived from two shown ones);
- `invented_result`: the same, said before any tool returned a result: the agent presents a tool
  result it never received;
- `guessed_id`: a call argument that is an id (key `id`/`*_id`/`*Id`, or a value shaped like
  one) which no user turn, system prompt or earlier tool result holds;
- `ignored_results`: the reply after the last successful results uses none of their values;
- `success_after_error`: the agent claims success while the last tool result before it failed;
- `repeat_after_error`: the same call again right after it failed with a non-transient error;
- `description_in_user_turn`: a user turn repeats words of an offered tool's description (a
  template pasted the tool in, no user talks like that).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from judges.config import GroundingConfig
from judges.values import Evidence, Mention, checked, mentions, parse_json, token_in, unquoted
from judges.violations import Violation, violations_result
from toolforge.core.ids import canonical_json
from toolforge.core.json_leaves import keyed_leaves, leaves
from toolforge.core.types import CheckResult, Message, Task, ToolCall, Trajectory

_TRANSIENT = re.compile(
    r"\b(?:429|502|503|504|time-?out|timed out|temporarily unavailable|service unavailable|"
    r"try again|retry|rate[- ]limit\w*|too many requests|overloaded)\b",
    re.IGNORECASE,
)
_DONE = (
    r"placed|created|updated|cancell?ed|removed|deleted|added|booked|scheduled|sent|changed|"
    r"processed|completed|submitted|refunded|moved|made|ordered|reserved|registered|saved|applied|"
    r"issued|paid|transferred|confirmed|set up|opened|closed|shipped|renamed|assigned|archived"
)
_SUCCESS = re.compile(
    rf"\b(?:done|all set|all done|success\w*|went through|"
    rf"(?:has|have|had) been (?:\w+ )?(?:{_DONE})|(?:is|are) now (?:\w+ )?(?:{_DONE})|"
    rf"i(?:'ve| have) (?:\w+ )?\w+ed)\b",
    re.IGNORECASE,
)
# "I've tried", "I've checked": words of an attempt or a look, not of a change made.
_NOT_DONE = re.compile(
    r"\bi(?:'ve| have) (?:\w+ )?(?:tried|attempted|checked|looked|searched|noticed|verified|reviewed|"
    r"asked|retried|received|encountered|reached|logged|reported|noted|escalated|contacted)\b",
    re.IGNORECASE,
)
# A reply that tells of a failure is not a success claim, whatever else it says.
_FAILURE = re.compile(
    r"(?:\b(?:error|fail\w*|unable|cannot|unavailable|problem|sorry|unfortunately|not|declined|"
    r"rejected|denied|invalid|out of stock)\b|n't\b)",
    re.IGNORECASE,
)
_ID_VALUE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # a UUID
    r"|[A-Za-z]{1,4}_[A-Za-z0-9_]+"  # cus_ada, prd_lamp, ord_0001
    r"|[A-Za-z][A-Za-z0-9]*[_-][A-Za-z0-9_-]*\d[A-Za-z0-9_-]*"  # customer_0002, order-123
    r"|[A-Z]{2,}\d{2,}"  # ORD12345
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # an email address
    re.IGNORECASE,
)
_PUNCT = re.compile(r"[^a-z0-9]+")


def check_grounding(traj: Trajectory, task: Task | None, cfg: GroundingConfig) -> CheckResult:
    """Judge whether `traj`'s values are grounded; `task` is not needed (rows alone suffice)."""
    messages = traj.messages
    violations = _description_violations(messages, traj.tools, cfg.description_words)
    violations += _value_violations(messages, traj.tools)
    violations += _ignored_results(messages)
    violations += _success_after_error(messages)
    violations += _repeat_after_error(messages)
    score = max(0.0, 1.0 - cfg.violation_penalty * len(violations))
    return violations_result(
        "grounding", violations, passed=not violations, score=score, clean="every value is grounded"
    )


# --- the user speaks in their own words ------------------------------------------------------


def _words(text: str) -> list[str]:
    return _PUNCT.sub(" ", text.lower().replace("'", "").replace("’", "")).split()


def _description_violations(messages: list[Message], tools: list[dict[str, Any]], n: int) -> list[Violation]:
    grams: dict[tuple[str, ...], str] = {}
    for function in _functions(tools):
        words = _words(function.get("description") or "")
        for i in range(len(words) - n + 1):
            grams.setdefault(tuple(words[i : i + n]), function.get("name", "?"))
    out: list[Violation] = []
    for index, message in enumerate(messages):
        if message.role != "user" or not grams:
            continue
        words = _words(message.content or "")
        hit = next((g for i in range(len(words) - n + 1) if (g := tuple(words[i : i + n])) in grams), None)
        if hit is not None:
            out.append(
                Violation(
                    "description_in_user_turn",
                    f"message {index}: the user repeats the description of {grams[hit]}: {' '.join(hit)!r}",
                )
            )
    return out


# --- what the agent says and sends was shown to it -------------------------------------------


def _functions(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [tool.get("function", tool) for tool in tools]


def _schema_words(schema: Any, vocabulary: set[str], background: list[str]) -> None:
    """Parameter names and enum values (the agent may say and send them) and descriptions."""
    if isinstance(schema, dict):
        for name, sub in (schema.get("properties") or {}).items():
            vocabulary.add(str(name).lower())
            _schema_words(sub, vocabulary, background)
        for value in schema.get("enum") or []:
            vocabulary.add(str(value).lower())
        if isinstance(schema.get("description"), str):
            background.append(schema["description"].lower())
        for key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
            sub = schema.get(key)
            for part in sub if isinstance(sub, list) else [sub]:
                _schema_words(part, vocabulary, background)


def _evidence(tools: list[dict[str, Any]]) -> Evidence:
    evidence = Evidence()
    for function in _functions(tools):
        evidence.vocabulary.add(str(function.get("name", "")).lower())
        if function.get("description"):
            evidence.background.append(function["description"].lower())
        _schema_words(function.get("parameters") or {}, evidence.vocabulary, evidence.background)
    return evidence


def _value_violations(messages: list[Message], tools: list[dict[str, Any]]) -> list[Violation]:
    """One pass in order: each assistant message is judged against what came before it."""
    evidence = _evidence(tools)
    out: list[Violation] = []
    seen_result = False
    for index, message in enumerate(messages):
        if message.role == "assistant":
            out += _text_violation(index, message.content, evidence, seen_result)
            for call in message.tool_calls or []:
                out += _guessed_ids(index, call, evidence)
            continue
        evidence.add(message.content)
        seen_result = seen_result or message.role == "tool"
    return out


def _text_violation(index: int, text: str | None, evidence: Evidence, seen_result: bool) -> list[Violation]:
    if not text or not text.strip():
        return []
    found = mentions(text)
    # the message's counting words may derive an amount ("2 in your cart ($51.98)"); its other
    # amounts may not, or a list of invented numbers would ground itself
    counts: list[Decimal] = [m.key for m in found if m.kind == "number" and not checked(m)]
    missing = [m for m in found if checked(m) and not evidence.grounds(m, counts)]
    if not missing:
        return []
    values = list(dict.fromkeys(repr(m.text) for m in missing))
    shown = ", ".join(values[:8]) + (f" and {len(values) - 8} more" if len(values) > 8 else "")
    if not seen_result:
        return [
            Violation(
                "invented_result",
                f"message {index}: states {shown} before any tool returned a result (an invented tool result)",
            )
        ]
    return [
        Violation(
            "ungrounded_value",
            f"message {index}: states {shown}, found in no user turn, system prompt or earlier tool result",
        )
    ]


def _is_id_key(key: str) -> bool:
    return key in ("id", "ids") or key.endswith(("_id", "Id", "_ids", "Ids", "ID"))


def _id_arguments(arguments: Any) -> Iterator[tuple[str, Any]]:
    """(key, value) for every argument leaf that is an id by its key or by its shape."""
    for key, value in keyed_leaves(arguments):
        if isinstance(value, bool) or value is None or value == "":
            continue
        if _is_id_key(key) or (isinstance(value, str) and _ID_VALUE.fullmatch(value)):
            yield key, value


def _guessed_ids(index: int, call: ToolCall, evidence: Evidence) -> list[Violation]:
    try:
        arguments = call.parsed_arguments()
    except ValueError:
        return []  # the rules check reports arguments that are not JSON
    out: list[Violation] = []
    for key, value in _id_arguments(arguments):
        if isinstance(value, int | float):
            grounded = Decimal(str(value)) in evidence.numbers
        else:
            grounded = evidence.has_token(str(value))
        if not grounded:
            out.append(
                Violation(
                    "guessed_id",
                    f"message {index}: {call.name} is sent {key or 'an id'}={value!r}, which no user turn, "
                    "system prompt or earlier tool result holds",
                )
            )
    return out


# --- the reply reports the last results ------------------------------------------------------


def _is_error(message: Message) -> bool:
    if message.is_error:
        return True
    return (message.content or "").lstrip().lower().startswith("error")


def _last_batch(messages: list[Message]) -> tuple[int, list[int]] | None:
    """(index of the last assistant message with calls, indices of its results)."""
    for i in range(len(messages) - 1, -1, -1):
        message = messages[i]
        if message.role == "assistant" and message.tool_calls:
            ids = {call.id for call in message.tool_calls}
            results = [j for j in range(i + 1, len(messages)) if messages[j].tool_call_id in ids]
            return i, results
    return None


def _result_values(content: str | None) -> list[Any]:
    """The values a result offers a reply: string leaves of 3+ characters and non-zero numbers
    (for text that is not JSON: the ids, numbers and dates in it, and its short lines, such as a
    test run's "5 passed in 0.01s")."""
    parsed = parse_json(content)
    if parsed is None:
        text = content or ""
        values: list[Any] = [m.text for m in mentions(text) if m.kind != "name" and checked(m)]
        return values + [line.strip() for line in text.splitlines() if 3 <= len(line.strip()) <= 80]
    return [
        leaf
        for leaf in leaves(parsed)
        if (isinstance(leaf, str) and len(leaf.strip()) >= 3)
        or (isinstance(leaf, int | float) and not isinstance(leaf, bool) and leaf != 0)
    ]


def _uses(reply: str, said: list[Mention], value: Any) -> bool:
    if isinstance(value, str):
        if token_in(value.strip().lower(), reply.lower()):
            return True
        # a date or an amount inside the string, said in another form
        return any(_same(m, s) for m in mentions(value) if m.kind != "name" for s in said)
    number = Decimal(str(value))
    return any(s.kind == "number" and number in (s.key, s.key * 100, s.key / 100) for s in said)


def _same(a: Mention, b: Mention) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "date":
        ra = a.key if isinstance(a.key, frozenset) else {a.key}
        rb = b.key if isinstance(b.key, frozenset) else {b.key}
        return any(x == y or (x[:2] == y[:2] and None in (x[2], y[2])) for x in ra for y in rb)
    if a.kind == "number":
        return a.key in (b.key, b.key * 100, b.key / 100)
    return bool(a.key == b.key)


def _ignored_results(messages: list[Message]) -> list[Violation]:
    batch = _last_batch(messages)
    if batch is None:
        return []
    _, results = batch
    successes = [j for j in results if not _is_error(messages[j])]
    if not successes:
        return []  # a reply after only errors is judged by success_after_error
    after = max(results, default=len(messages))
    reply_index = next(
        (
            j
            for j in range(after + 1, len(messages))
            if messages[j].role == "assistant" and (messages[j].content or "").strip()
        ),
        None,
    )
    if reply_index is None:
        return []  # no reply at all: the rules check's premature_stop
    values = [v for j in successes for v in _result_values(messages[j].content)]
    reply = messages[reply_index].content or ""
    said = mentions(reply)
    if not values or any(_uses(reply, said, v) for v in values):
        return []
    examples = ", ".join(repr(v) for v in list(dict.fromkeys(map(str, values)))[:3])
    return [
        Violation(
            "ignored_results",
            f"message {reply_index}: the reply uses no value of the last result "
            f"(message {successes[-1]}: {examples}, ...)",
        )
    ]


# --- errors are told as errors and not blindly repeated --------------------------------------


def claims_success(text: str) -> bool:
    """Whether `text` tells the user a change was made ("Done", "has been placed", "I've added");
    what it quotes (a note's text, the user's words) is not its own claim."""
    text = unquoted(text)
    if _FAILURE.search(text):
        return False
    match = _SUCCESS.search(text)
    return match is not None and not _NOT_DONE.search(match.group(0))


def _success_after_error(messages: list[Message]) -> list[Violation]:
    out: list[Violation] = []
    last_result: int | None = None
    for index, message in enumerate(messages):
        if message.role == "tool":
            last_result = index
        elif message.role == "assistant" and message.content and last_result is not None:
            if _is_error(messages[last_result]) and claims_success(message.content):
                out.append(
                    Violation(
                        "success_after_error",
                        f"message {index}: claims success ({message.content.strip()[:60]!r}) "
                        f"after the error in message {last_result}",
                    )
                )
    return out


def _repeat_after_error(messages: list[Message]) -> list[Violation]:
    """The same call right after it failed for a reason that will not pass (not a 503, a rate
    limit, a timeout): the agent learnt nothing from the error. A user turn in between may have
    changed the facts, so it resets the watch."""
    results = {m.tool_call_id: m for m in messages if m.role == "tool"}
    out: list[Violation] = []
    failed: str | None = None  # the key of the last call, when it failed for good
    for index, message in enumerate(messages):
        if message.role == "user":
            failed = None
        if message.role != "assistant":
            continue
        for call in message.tool_calls or []:
            key = _call_key(call)
            if key is not None and key == failed:
                out.append(
                    Violation(
                        "repeat_after_error",
                        f"message {index}: {call.name} repeated with the same arguments after a "
                        "non-transient error",
                    )
                )
            result = results.get(call.id)
            permanent = (
                result is not None and _is_error(result) and not _TRANSIENT.search(result.content or "")
            )
            failed = key if permanent else None
    return out


def _call_key(call: ToolCall) -> str | None:
    try:
        return call.name + canonical_json(call.parsed_arguments())
    except ValueError:
        return None
