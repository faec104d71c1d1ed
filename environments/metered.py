"""Per-episode token accounting. `LLMClient.usage` totals a whole run; an episode's own tokens are
needed for its `max_tokens` limit and its trajectory record. `MeteredLLMClient` adds each call's
usage to the episode running in the current asyncio context as well.

It hooks `LLMClient._account`, the one place every call (cached or not) is counted.
TODO(core/llm owner): a public per-call usage hook would let this file go.
"""

from __future__ import annotations

import contextvars

from environments.episode import Episode
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.types import Usage

current_episode: contextvars.ContextVar[Episode | None] = contextvars.ContextVar(
    "current_episode", default=None
)


class MeteredLLMClient(LLMClient):
    def _account(
        self,
        cfg: LLMConfig,
        role: str,
        usage: Usage,
        latency_s: float,
        retries: int,
        cached: bool,
        error: str | None,
    ) -> None:
        super()._account(cfg, role, usage, latency_s, retries, cached, error)
        episode = current_episode.get()
        if episode is not None:
            episode.add_usage(usage)
