"""litellm, imported once and configured for us: the cost map it ships (no download at import),
an unbounded shared connection pool, no debug banners on errors, its loggers at WARNING.
Import litellm through this module (or after `toolforge.core.llm.client`) so the settings apply.

The import leaves ~340,000 long-lived objects (modules, the cost map, pydantic types) that every
full garbage collection would walk again; `gc.freeze()` moves them (and whatever was imported before)
out of the collector's reach. At 2,000 calls/s, collections were ~40% of the client's CPU.
"""

from __future__ import annotations

import gc
import logging
import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# litellm's shared aiohttp pool caps connections (1,000, and 500 per host; 0 means aiohttp's 100); our per-model
# semaphores are the limit, so the pool must not queue requests behind them.
os.environ.setdefault("AIOHTTP_CONNECTOR_LIMIT", "100000")
os.environ.setdefault("AIOHTTP_CONNECTOR_LIMIT_PER_HOST", "100000")

import litellm  # noqa: E402

litellm.suppress_debug_info = True
litellm.telemetry = False
for _name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
    logging.getLogger(_name).setLevel(logging.WARNING)
gc.freeze()  # import-time objects live for the process: keep full collections from re-walking them

__all__ = ["litellm"]
