"""The recovery any served world teaches without a pattern written for its tools: a write the
world refuses with an error that names the way out, another write the agent has ("no copy of
bk_0003 is on the shelf; place_hold to join the queue", "…; renew_loan instead", "…; pay_fine
first").

The assistant says why the call failed, proposes the named write, waits for the yes and makes it;
when the error says "first", it then makes the refused call again. The fix's arguments come from
the refused call (the same names) and from ids the error itself quotes, never invented: an error
whose fix needs a value neither holds is passed over. Every step runs on the real world, as in
recoveries.py, so a replay on a fresh copy reproduces the error and the end state.
"""

from __future__ import annotations

import random
import re
from typing import Any

from environments.episodes import phrasing
from environments.episodes.executors.semantics import semantics
from environments.episodes.state import State, singular
from environments.tasking.blueprints import Source, Step, draw_arguments
from environments.tasking.recoveries_more import Run
from toolforge.core.types import ToolSpec

KIND = "error_names_the_fix"
# How the assistant says the world refused (each names the failure, as the rules judge asks).
_REFUSED = [
    "Sorry, that couldn't be done: {reason}.",
    "I couldn't do that: {reason}.",
    "Unfortunately that failed: {reason}.",
]
# Draws tried on a scratch copy for one that the world refuses with a way out.
PROBES = 8
_ID_TOKEN = re.compile(r"[A-Za-z][\w-]*")


def named_fix(error: str, writes: dict[str, ToolSpec], refused: str) -> tuple[str, bool] | None:
    """The write the error names first (not the refused one) and whether it must come first
    ("pay_fine first") rather than instead; None when the error names none of `writes`."""
    named = [
        (m.start(), name)
        for name in writes
        if name != refused and (m := re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", error))
    ]
    if not named:
        return None
    at, name = min(named)
    clause = re.split(r"[;.]", error[at + len(name) :], maxsplit=1)[0]
    if not re.match(r"\s+to\b", clause) and not re.search(r"\b(instead|first|before)\b", clause):
        return None  # a hint, not a way out: "return_book by 2026-03-20"
    return name, re.search(r"\b(first|before)\b", clause) is not None


def fix_arguments(
    fix: ToolSpec, refused: dict[str, Any], error: str, view: State
) -> tuple[dict[str, Any], dict[str, Source]] | None:
    """The fix's required arguments: same-named values of the refused call (the user said them),
    else an id the error quotes of the record kind the argument names; None when one is missing."""
    schema = fix.input_resolved
    ids_by_kind: dict[str, list[str]] = {}
    for token in _ID_TOKEN.findall(error):
        for collection, records in view.items():
            if isinstance(records, dict) and token in records:
                ids_by_kind.setdefault(singular(collection), []).append(token)
    args: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    for name in schema.get("required", []):
        if name in refused:
            args[name], sources[name] = refused[name], "user"
        elif name.endswith("_id") and ids_by_kind.get(name[:-3]):
            args[name], sources[name] = ids_by_kind[name[:-3]][0], "result"
        else:
            return None
    return args, sources


def _way_out(
    failed: Step, writes: dict[str, ToolSpec], refused: ToolSpec, arguments: dict[str, Any], view: State
) -> tuple[str, str, bool, tuple[dict[str, Any], dict[str, Source]]] | None:
    """The refused call's error, the write it names, whether that comes first, and its arguments;
    None when the error names no write the agent can fill in."""
    error = str((failed.result or {}).get("error", ""))
    found = named_fix(error, writes, refused.name)
    if found is None:
        return None
    filled = fix_arguments(writes[found[0]], arguments, error, view)
    return None if filled is None else (error, found[0], found[1], filled)


def _reason(error: str) -> str:
    """The world's reason without its hint: "no copy of bk_0003 is on the shelf"."""
    said = re.sub(r"^(Error executing tool [\w.-]+:|Error:)\s*", "", error.strip())
    return said.split(";")[0].strip().rstrip(".")


async def error_names_the_fix(tools: dict[str, ToolSpec], view: State, rng: random.Random, run: Run) -> Any:
    writes = {name: tool for name, tool in sorted(tools.items()) if semantics(tool).mutates}
    if len(writes) < 2:
        return None
    for _ in range(PROBES):  # on a scratch copy: most draws are taken, or refused with no way out
        refused = writes[rng.choice(sorted(writes))]
        step = draw_arguments(refused, view, [], rng)
        tried = await run(refused.name, step.arguments, step.sources, probe=True)
        if tried.is_error and _way_out(tried, writes, refused, step.arguments, view) is not None:
            break
    else:
        return None
    failed = await run(refused.name, step.arguments, step.sources)
    way_out = _way_out(failed, writes, refused, step.arguments, view) if failed.is_error else None
    if way_out is None:
        return None  # the probe's error came from an earlier probe's change, not from the world
    error, fix, first, filled = way_out
    if (await run(fix, *filled)).is_error:
        return None
    if first and (await run(refused.name, step.arguments, step.sources)).is_error:
        return None
    plan = phrasing.plan(fix, filled[0])
    ask = f"Shall I {plan} first, and then try again?" if first else f"Shall I {plan} instead?"
    told = {k: v for k, v in step.arguments.items() if step.sources.get(k) != "result"}
    said = phrasing.pick(_REFUSED, KIND, error).replace("{reason}", _reason(error))
    return {"told": told, "propose_at": 1, "proposal": f"{said} {ask}"}


def applies(tools: dict[str, ToolSpec]) -> bool:
    """Worth drawing: the agent has two writes on a served world, one of which an error may name."""
    return sum(semantics(t).mutates for t in tools.values()) >= 2
