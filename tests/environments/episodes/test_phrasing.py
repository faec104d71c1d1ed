"""The words around a blueprint: titles read as titles."""

from __future__ import annotations

import random

from environments.episodes import phrasing
from toolforge.core.values import Hint, string_value


def test_titles_never_repeat_a_word_of_their_subject() -> None:
    rng = random.Random(7)
    hint = Hint(name="title", entity="event", domain="events")
    for _ in range(300):
        title = string_value({"type": "string"}, rng, hint).lower().split()
        assert all(a != b for a, b in zip(title, title[1:], strict=False)), title


def test_a_write_quotes_its_text_as_what_it_says_and_a_search_as_what_it_matches() -> None:
    append = phrasing.intent(
        "append_to_note", {"note_id": "garden", "text": "call Ada"}, {"text": "call Ada"}
    )
    assert "saying “call Ada”" in append and "matching" not in append
    assert append.startswith("append to the note")
    named = phrasing.intent("append_to_note", {"note_id": "garden", "text": "x"}, {"note_id": "garden"})
    assert named == "append to note garden"
    search = phrasing.intent("search_notes", {"text": "Q4"}, {"text": "Q4"})
    assert "matching “Q4”" in search
    write = phrasing.intent("write_file", {"path": "/a.md", "content": "hi"}, {"content": "hi"})
    assert "saying “hi”" in write


def test_a_verb_that_takes_a_preposition_keeps_it_with_or_without_the_record_named() -> None:
    assert phrasing.intent("append_to_note", {"text": "x"}, {}) == "append to the note"
    assert phrasing.intent("add_to_cart", {"product_id": "prd_mug"}, {}) == "add an item to the cart"
