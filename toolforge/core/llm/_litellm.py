"""litellm (and openai, which it imports), imported on first use and configured for us: the cost
map it ships (no download at import), an unbounded shared connection pool, no debug banners on
errors, its loggers at WARNING. Use `litellm` and `openai` from this module so the settings apply.

They are imported lazily: together they are about 60% of importing toolforge (4 s of CPU on a
busy 2-core machine), which a process that never calls a model — a cluster node playing offline
episodes, most commands — should not pay. The first attribute read imports them.
"""

from __future__ import annotations

import functools
import gc
import importlib
import logging
import os
from types import ModuleType
from typing import TYPE_CHECKING, Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# litellm's shared aiohttp pool caps connections (1,000, and 500 per host; 0 means aiohttp's 100); our per-model
# semaphores are the limit, so the pool must not queue requests behind them.
os.environ.setdefault("AIOHTTP_CONNECTOR_LIMIT", "100000")
os.environ.setdefault("AIOHTTP_CONNECTOR_LIMIT_PER_HOST", "100000")


@functools.cache
def load(name: str) -> ModuleType:
    """`litellm` or `openai`, imported once (litellm first: it brings openai and is configured)."""
    frozen = gc.get_freeze_count() > 0
    module = importlib.import_module("litellm")
    setattr(module, "suppress_debug_info", True)  # noqa: B010 (a ModuleType to the checker)
    for logger in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
        logging.getLogger(logger).setLevel(logging.WARNING)
    if frozen:
        # `core.runtime.tune_gc` froze the process's long-lived objects before litellm came: its
        # import-time objects (cost map, types) join them, out of the collector's full passes
        gc.freeze()
    return module if name == "litellm" else importlib.import_module(name)


class _Lazy:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(load(self._name), attr)


if TYPE_CHECKING:
    import litellm
    import openai
else:
    litellm = _Lazy("litellm")
    openai = _Lazy("openai")

__all__ = ["litellm", "openai"]
