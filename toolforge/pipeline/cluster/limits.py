"""One model budget and one concurrency limit for the whole cluster: a Ray actor holding
`LocalSharedLimits`, and the `SharedLimits` each node's LLM clients talk to it through.

One round trip to the actor per model call (cache hits make none): small next to a model call,
and the actor is async, so thousands of waiting calls cost it nothing but memory.
"""

from __future__ import annotations

from typing import Any

from toolforge.core.llm.shared import LocalSharedLimits


def start_limits(ray: Any) -> Any:
    """The cluster's limits actor (on whichever node Ray picks; it holds no files)."""
    return ray.remote(num_cpus=0, max_concurrency=100_000, max_restarts=0)(LocalSharedLimits).remote()


class RaySharedLimits:
    def __init__(self, actor: Any) -> None:
        self.actor = actor

    async def acquire(self, model: str, limit: int) -> tuple[int, float]:
        tokens, cost = await self.actor.acquire.remote(model, limit)
        return int(tokens), float(cost)

    async def release(self, model: str, tokens: int, cost_usd: float) -> None:
        await self.actor.release.remote(model, tokens, cost_usd)

    async def pause(self, model: str, seconds: float) -> None:
        await self.actor.pause.remote(model, seconds)
