"""Usage of the calls made inside one context — an episode, say — beside the run's totals.

`LLMClient.usage` totals a whole run. A caller that needs the tokens of one piece of work (an
episode's `max_tokens` limit, its trajectory record) opens a meter in its asyncio context; every
call made in that context, cached or not, is reported to it as well.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from toolforge.core.types import Usage

UsageSink = Callable[[Usage], None]

_sink: contextvars.ContextVar[UsageSink | None] = contextvars.ContextVar("llm_usage_sink", default=None)


def start_meter(sink: UsageSink) -> contextvars.Token[UsageSink | None]:
    """Report each call made from this context on to `sink`; undo with `stop_meter(token)`."""
    return _sink.set(sink)


def stop_meter(token: contextvars.Token[UsageSink | None]) -> None:
    _sink.reset(token)


def report_usage(usage: Usage) -> None:
    sink = _sink.get()
    if sink is not None:
        sink(usage)
