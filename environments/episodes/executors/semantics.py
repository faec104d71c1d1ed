"""What a tool does to the world, for the simulators and the blueprint sampler: its effect
(read / list / create / update / delete / action), the entity kind it touches and the argument
that names the entity. Taken from `ToolSpec.semantics` when the library set it, else from the
name (`create_order`, `getUser`, `orders.list`) and the annotations."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from environments.episodes.state import plural, singular
from toolforge.core.types import ToolSpec
from toolforge.core.values import words as name_words

Effect = Literal["read", "list", "create", "update", "delete", "action"]

_VERB_WORDS: dict[Effect, str] = {
    "create": "create add new insert make register book open post submit place schedule upload",
    "read": "get read fetch retrieve show describe lookup view load check find",
    "list": "list search query browse filter all",
    "update": "update set edit modify change rename patch move assign mark toggle reschedule",
    "delete": "delete remove cancel drop archive close revoke clear",
}
_VERBS: dict[str, Effect] = {w: effect for effect, words in _VERB_WORDS.items() for w in words.split()}


@dataclass(frozen=True)
class Semantics:
    effect: Effect
    kind: str
    id_param: str | None

    @property
    def collection(self) -> str:
        return plural(self.kind)

    @property
    def mutates(self) -> bool:
        return self.effect in ("create", "update", "delete", "action")


def semantics(tool: ToolSpec) -> Semantics:
    return _semantics(tool.name, tuple(sorted(tool.input_schema.get("properties", {}))), tool)


@lru_cache(maxsize=8192)
def _cached(
    name: str, props: tuple[str, ...], effect_hint: Effect | Literal[""], kinds: tuple[str, ...], ro: bool
) -> Semantics:
    words = name_words(name)
    effect: Effect | None = None
    rest = words
    for i, w in enumerate(words):
        if w in _VERBS:
            effect, rest = _VERBS[w], words[:i] + words[i + 1 :]
            break
    if effect_hint:
        effect = "list" if effect_hint == "read" and effect == "list" else effect_hint
    if effect is None:
        effect = "read" if ro else "action"
    id_props = [p for p in props if p == "id" or p.endswith("_id") or p.endswith("Id")]
    kind = kinds[0] if kinds else ""
    if not kind:
        nouns = [singular(w) for w in rest if w not in ("by", "for", "to", "from", "of", "the", "a", "my")]
        kind = nouns[-1] if nouns else ""
    if not kind and id_props:
        kind = name_words(id_props[0])[0]
    kind = kind or "item"
    id_param = None
    for p in id_props:
        if p == "id" or name_words(p)[:-1] == [kind] or name_words(p)[:-1] == kind.split("_"):
            id_param = p
            break
    if id_param is None and id_props and effect in ("read", "update", "delete"):
        id_param = id_props[0]
        kind = "_".join(name_words(id_param)[:-1]) or kind
    return Semantics(effect=effect, kind=kind, id_param=id_param)


def _semantics(name: str, props: tuple[str, ...], tool: ToolSpec) -> Semantics:
    hint: Effect | Literal[""] = ""
    kinds: tuple[str, ...] = ()
    if tool.semantics is not None:
        hint = tool.semantics.effect
        kinds = tuple(singular(k) for k in (tool.semantics.writes or tool.semantics.reads))
    return _cached(name, props, hint, kinds, bool(tool.annotations.read_only))
