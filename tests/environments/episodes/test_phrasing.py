"""The words around a blueprint: finals report outcomes without naming tools; titles read as titles."""

from __future__ import annotations

import random

from environments.episodes.phrasing import final_reply
from toolforge.core.values import Hint, string_value


def test_final_replies_name_no_tool_and_use_the_result() -> None:
    result = {"id": "evt_0105", "title": "Onboarding: Katherine", "status": "confirmed"}
    for key in range(20):
        for wrote in (True, False):
            reply = final_reply("update_event", result, wrote, key)
            assert "update event" not in reply and "update_event" not in reply
            assert "evt_0105" in reply


def test_titles_never_repeat_a_word_of_their_subject() -> None:
    rng = random.Random(7)
    hint = Hint(name="title", entity="event", domain="events")
    for _ in range(300):
        title = string_value({"type": "string"}, rng, hint).lower().split()
        assert all(a != b for a, b in zip(title, title[1:], strict=False)), title
