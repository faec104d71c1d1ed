"""The transport seam: how one attempt of a model call reaches its server.

`LLMConfig.transport` picks one, and `LLMClient` holds one of each: everything else (the
concurrency limit, cache, budget, retries, accounting) is the client's and is the same for both.

- `litellm` (`LiteLLMTransport`): `litellm.acompletion`, every provider litellm speaks; the baseline.
- `openai_compatible` (`direct.DirectTransport`): one HTTP POST to `{api_base}/chat/completions`,
  for OpenAI-compatible servers; much less client CPU a call (docs/llm.md, bench/llm_throughput.py).

Both raise litellm's (openai's) exception types, so the client's one retry path serves both.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from toolforge.core.llm._litellm import litellm
from toolforge.core.llm.checkpoint import checkpoint_reply
from toolforge.core.llm.completion import raw_from_response
from toolforge.core.llm.config import LLMConfig


class Transport(Protocol):
    async def send(
        self, cfg: LLMConfig, request: dict[str, Any], model: str, api_base: str | None, secret: str | None
    ) -> tuple[dict[str, Any], float]:
        """One attempt: the reply as the client's plain `raw` dict, and its cost in USD."""
        ...

    async def aclose(self) -> None:
        """Release connections held for the running event loop."""
        ...


class LiteLLMTransport:
    """`litellm.acompletion`; its own connection pool is litellm's, shared by the process."""

    async def send(
        self, cfg: LLMConfig, request: dict[str, Any], model: str, api_base: str | None, secret: str | None
    ) -> tuple[dict[str, Any], float]:
        kwargs = dict(request)
        kwargs["model"] = model
        if api_base is not None:
            kwargs["api_base"] = api_base
            kwargs["api_key"] = secret if secret is not None else "none"
        elif secret is not None:
            kwargs["api_key"] = secret
        kwargs["timeout"] = cfg.timeout_s
        kwargs["max_retries"] = 0  # the OpenAI SDK's own retries: the client's are the only ones
        response = await litellm.acompletion(**kwargs)
        hidden = getattr(response, "_hidden_params", None) or {}
        return raw_from_response(response), float(hidden.get("response_cost") or 0.0)

    async def aclose(self) -> None:
        return None


class CheckpointTransport:
    """A checkpoint directory generates in-process, in a worker thread; it costs nothing and has
    no connection to keep."""

    async def send(
        self, cfg: LLMConfig, request: dict[str, Any], model: str, api_base: str | None, secret: str | None
    ) -> tuple[dict[str, Any], float]:
        assert cfg.checkpoint_dir is not None
        return await asyncio.to_thread(checkpoint_reply, cfg.checkpoint_dir, request), 0.0

    async def aclose(self) -> None:
        return None
