"""The words around a blueprint: titles read as titles."""

from __future__ import annotations

import random

from toolforge.core.values import Hint, string_value


def test_titles_never_repeat_a_word_of_their_subject() -> None:
    rng = random.Random(7)
    hint = Hint(name="title", entity="event", domain="events")
    for _ in range(300):
        title = string_value({"type": "string"}, rng, hint).lower().split()
        assert all(a != b for a, b in zip(title, title[1:], strict=False)), title
