"""Limits shared by several clients — the nodes of a cluster — so that a model's concurrency and
the run's budget hold for all of them together, not once per node.

`LLMClient(shared=...)` asks `acquire` before each call that goes to the model (cache hits are
free), `release`s with what the call spent, and on a rate limit (429 with Retry-After, or its
back-off) calls `pause`, which holds every client's next call to that model: a provider's limit
slows the whole cluster instead of each node hammering it and failing on its own.

`LocalSharedLimits` is the implementation; on a Ray cluster one actor holds it
(`toolforge.pipeline.cluster.limits`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from toolforge.core.llm.limiter import Limiter


class SharedLimits(Protocol):
    async def acquire(self, model: str, limit: int) -> tuple[int, float]:
        """Wait for one of `limit` slots of `model`; returns the tokens and cost spent so far."""
        ...

    async def release(self, model: str, tokens: int, cost_usd: float) -> None: ...

    async def pause(self, model: str, seconds: float) -> None: ...


class LocalSharedLimits:
    """Slots per model, totals for the budget, and a not-before time per model."""

    def __init__(self) -> None:
        self.limiters: dict[str, Limiter] = {}
        self.tokens = 0
        self.cost_usd = 0.0
        self.not_before: dict[str, float] = {}
        self.peak: dict[str, int] = {}
        self.acquired = 0

    async def acquire(self, model: str, limit: int) -> tuple[int, float]:
        limiter = self.limiters.setdefault(model, Limiter(limit))
        await limiter.__aenter__()
        wait = self.not_before.get(model, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)  # a rate limit: hold this model's calls cluster-wide
        self.acquired += 1
        self.peak[model] = max(self.peak.get(model, 0), limiter.in_use)
        return self.tokens, self.cost_usd

    async def release(self, model: str, tokens: int, cost_usd: float) -> None:
        self.tokens += tokens
        self.cost_usd += cost_usd
        limiter = self.limiters.get(model)
        if limiter is not None:
            await limiter.__aexit__(None, None, None)

    async def pause(self, model: str, seconds: float) -> None:
        self.not_before[model] = max(self.not_before.get(model, 0.0), time.monotonic() + seconds)

    async def report(self) -> dict[str, object]:
        return {
            "tokens": self.tokens,
            "cost_usd": self.cost_usd,
            "peak": dict(self.peak),
            "acquired": self.acquired,
        }
