"""litellm, imported once and configured for us: the cost map it ships (no download at import),
an unbounded shared connection pool, no debug banners on errors, its loggers at WARNING.
Import litellm through this module (or after `toolforge.core.llm.client`) so the settings apply.
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# litellm's shared aiohttp pool caps connections (1,000, and 500 per host; 0 means aiohttp's 100); our per-model
# semaphores are the limit, so the pool must not queue requests behind them.
os.environ.setdefault("AIOHTTP_CONNECTOR_LIMIT", "100000")
os.environ.setdefault("AIOHTTP_CONNECTOR_LIMIT_PER_HOST", "100000")

import litellm  # noqa: E402

litellm.suppress_debug_info = True
for _name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
    logging.getLogger(_name).setLevel(logging.WARNING)

__all__ = ["litellm"]
