"""Tool names as a provider accepts them, and back.

MCP allows `[A-Za-z0-9_.-]{1,128}` (`math.factorial`); OpenAI-style function calling allows
`^[a-zA-Z0-9_-]{1,64}$`. When tools go to a provider natively, each name that does not fit is
mapped to one that does (illegal characters become `_`, long names are cut, and a short digest keeps
two names from meeting); the provider's calls are mapped back before anything is recorded, so
trajectories, judges and the store only ever see the tool's own name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from toolforge.core.ids import digest

PROVIDER_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ILLEGAL = re.compile(r"[^a-zA-Z0-9_-]")
_LIMIT = 64


@dataclass(frozen=True)
class ProviderNames:
    outgoing: dict[str, str]  # tool name -> provider name
    incoming: dict[str, str]  # provider name -> tool name

    @classmethod
    def for_tools(cls, names: Iterable[str]) -> ProviderNames:
        ordered = sorted(set(names))
        taken = {n for n in ordered if PROVIDER_NAME.match(n)}  # legal names keep themselves
        outgoing = {n: n for n in taken}
        for name in ordered:
            if name in outgoing:
                continue
            mapped = _ILLEGAL.sub("_", name)[:_LIMIT] or "tool"
            if mapped in taken:
                mapped = f"{mapped[: _LIMIT - 9]}_{digest(name, length=8)}"
            taken.add(mapped)
            outgoing[name] = mapped
        return cls(outgoing, {v: k for k, v in outgoing.items()})

    def to_provider(self, name: str) -> str:
        return self.outgoing.get(name, name)

    def from_provider(self, name: str) -> str:
        """The tool's own name; a name the provider made up passes unchanged (judges flag it)."""
        return self.incoming.get(name, name)

    def function(self, spec: dict[str, Any]) -> dict[str, Any]:
        """An OpenAI `{"type": "function", "function": {...}}` item with the provider's name."""
        fn = spec["function"]
        return {**spec, "function": {**fn, "name": self.to_provider(fn["name"])}}

    def message(self, message: dict[str, Any]) -> dict[str, Any]:
        """An OpenAI chat message with the tool names in its calls (and a tool result's `name`)
        as the provider knows them."""
        out = dict(message)
        if out.get("tool_calls"):
            out["tool_calls"] = [
                {**c, "function": {**c["function"], "name": self.to_provider(c["function"]["name"])}}
                for c in out["tool_calls"]
            ]
        if out.get("role") == "tool" and isinstance(out.get("name"), str):
            out["name"] = self.to_provider(out["name"])
        return out
