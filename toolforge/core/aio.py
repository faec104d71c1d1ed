"""How toolforge runs its event loops: on uvloop where it is installed (Linux and macOS), else on
asyncio's own loop. uvloop's loop, transports and timers are written in C: at thousands of model
calls in flight the stock loop's own bookkeeping was a third of the client's CPU."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# TOOLFORGE_EVENT_LOOP=asyncio forces the stock loop (to compare, or to rule uvloop out of a bug hunt).
LOOP_ENV = "TOOLFORGE_EVENT_LOOP"


def loop_factory(kind: str | None = None) -> Callable[[], asyncio.AbstractEventLoop]:
    """`uvloop.new_event_loop` unless `kind` (or $TOOLFORGE_EVENT_LOOP) is "asyncio" or uvloop is missing."""
    kind = kind or os.environ.get(LOOP_ENV, "uvloop")
    if kind not in ("uvloop", "asyncio"):
        raise ValueError(f"{LOOP_ENV} must be 'uvloop' or 'asyncio', got {kind!r}")
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:
            return asyncio.new_event_loop
        return uvloop.new_event_loop
    return asyncio.new_event_loop


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def run(main: Coroutine[Any, Any, T], kind: str | None = None) -> T:
    """`asyncio.run(main)` on the loop `loop_factory` picks."""
    with asyncio.Runner(loop_factory=loop_factory(kind)) as runner:
        return runner.run(main)
