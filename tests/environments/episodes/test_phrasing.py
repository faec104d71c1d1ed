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


def test_a_count_under_a_plural_key_is_said_as_a_number_of_things() -> None:
    assert phrasing.fact("bags", 2) == "the number of bags is 2"
    assert phrasing.fact("status", "open") == "the status is open"  # "-us" is not a plural
    assert phrasing.fact("tags", ["vendor", "home"]) == "the tags are vendor, home"
    said = phrasing.opening("book a flight", {"bags": 2}, "precise", key=("k", 1))
    assert "2" in said and "bags is 2" not in said.replace("number of bags is 2", "")


def test_a_quoted_sentence_at_the_end_of_a_turn_keeps_one_full_stop() -> None:
    said = phrasing.give_facts({"text": "Meet at 5."}, "brief", key=("k", 2))
    assert not said.endswith(".."), said
    assert said.endswith("Meet at 5."), said
    assert phrasing.end_once("It says “Call me.”.") == "It says “Call me.”"
    assert phrasing.end_once("See (note_0002).") == "See (note_0002)."  # an ordinary stop stays


def test_a_sentence_the_user_gives_is_quoted_not_run_into_the_line() -> None:
    text = "Follow up on the printer jam summary."
    for i in range(6):
        said = phrasing.opening("add a comment to tkt_0103", {"body": text}, "terse", key=("k", i))
        assert f"“{text}”" in said and "..”" not in said and not said.endswith(".”."), said
    given = phrasing.give_facts(
        {"booking_id": "bkg_0906", "reason": "I have the flu, sorry."}, "brief", ("k", 0)
    )
    assert "the reason is “I have the flu, sorry.”" in given and not given.endswith(".”."), given
