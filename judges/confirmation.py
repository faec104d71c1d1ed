"""The confirm-before-a-write policy: whether a system prompt asks for it, which calls are writes,
and what counts as the user's yes.

A policy sentence is read one sentence at a time, so "Reads need no confirmation; confirm every
change before making it" asks for it, and "Do not ask for confirmation" does not.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from environments.episodes.executors.semantics import semantics
from toolforge.core.types import ToolSpec

_SENTENCES = re.compile(r"[.!?;\n]+")
_ASKS = [
    # "wait for the user's yes", "wait until the customer confirms"
    r"\bwait (?:for|until)\b.*\b(?:yes|confirm\w*|approv\w*|go[- ]ahead|ok|okay|consent|agree\w*)\b",
    # "confirm the key details with the user before any change"; "before any change, confirm"
    r"\bconfirm\w*\b.*\bbefore\b",
    r"\bbefore\b.*\bconfirm\w*\b",
    # "ask for confirmation", "get the user's approval", "require explicit consent"
    r"\b(?:ask|request|get|obtain|seek|need|require)\w*\b.{0,40}"
    r"\b(?:confirmation|approval|consent|permission|go-ahead)\b",
    # "only once the user confirms", "until the customer agrees"
    r"\b(?:only|until|once)\b.{0,40}\b(?:user|customer|client|caller)\b.{0,20}"
    r"\b(?:confirms?|confirmed|approves?|approved|agrees?|agreed|says yes)\b",
    # "never change anything without the user's confirmation"
    r"\b(?:never|not|n't)\b.{0,60}\bwithout\b.{0,30}\b(?:confirm\w*|approv\w*|consent|permission|yes|go-ahead)\b",
]
_WAIVES = (
    r"\b(?:no need to|(?:do not|don't|doesn't|does not) need to|need not|needn't|"
    r"(?:do not|don't|never) ask|without asking|no confirmation|skip\w* (?:the )?confirm\w*)\b"
)
_AFFIRMATIVE = re.compile(
    r"\b(?:yes|yeah|yep|yup|sure|please do|go ahead|go for it|proceed|confirm(?:ed)?|ok|okay|"
    r"sounds good|do it|please|correct|absolutely|of course)\b"
)
_REFUSAL = re.compile(r"^\W*(?:no|nope|nah|not|don't|do not|wait|hold on|stop|cancel)\b")


def requires_confirmation(system_prompt: str | None) -> bool:
    """Whether the system prompt asks the agent to get the user's yes before a change."""
    for sentence in _SENTENCES.split((system_prompt or "").lower().replace("’", "'")):
        if re.search(_WAIVES, sentence):
            continue
        if any(re.search(pattern, sentence) for pattern in _ASKS):
            return True
    return False


def is_affirmative(text: str | None) -> bool:
    """Whether a user turn says yes ("Yes please.", "Sure, go ahead"); "No, wait" is not."""
    lowered = (text or "").lower().replace("’", "'")
    return not _REFUSAL.search(lowered) and _AFFIRMATIVE.search(lowered) is not None


def is_write(function: dict[str, Any]) -> bool:
    """Whether an offered OpenAI function changes the world, by its name and parameters
    (`environments.episodes.executors.semantics`): get_/search_/list_/view_ read, the rest write."""
    return _mutates(
        function.get("name", ""), tuple(sorted((function.get("parameters") or {}).get("properties", {})))
    )


@lru_cache(maxsize=4096)
def _mutates(name: str, props: tuple[str, ...]) -> bool:
    spec = ToolSpec(
        name=name,
        input_schema={"type": "object", "properties": {p: {} for p in props}},
        source="catalog",
    )
    return semantics(spec).mutates
