"""The lean transport for OpenAI-compatible servers (`LLMConfig.transport="openai_compatible"`):
one POST to `{api_base}/chat/completions` on a lean keep-alive connection pool (`http.py`), no
litellm in the call path.

It sends the body litellm would send and hands back the same plain `raw` dict; its failures are
litellm's exception types (429 → RateLimitError, 5xx → InternalServerError/..., timeouts →
Timeout, connection errors and unreadable bodies → APIConnectionError/InternalServerError), with
the response headers attached, so the client's one retry path (Retry-After honoured) serves both
transports. Cost comes from litellm's cost map, looked up once per model (0 when it is unknown).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
from typing import Any

import httpx
import orjson

from toolforge.core.llm._litellm import litellm
from toolforge.core.llm.http import HTTPError, HTTPPool, parse_origin, request_head

PROVIDER = "openai"
# Young collections every 700 allocations were ~10% of the client's CPU at 2,000 calls/s (and their
# pauses bunch replies up); a process that opts into this transport collects every 10,000 instead.
GC_GEN0_THRESHOLD = 10_000
_PROVIDERS = frozenset(str(getattr(p, "value", p)) for p in litellm.provider_list)


@functools.lru_cache(maxsize=4096)
def wire_model(model: str) -> str:
    """The `model` field on the wire: the provider prefix dropped as litellm does
    (`openai/x` → `x`, `hosted_vllm/org/x` → `org/x`); a string without a known prefix is kept."""
    prefix, _, rest = model.partition("/")
    return rest if rest and prefix in _PROVIDERS else model


@functools.lru_cache(maxsize=4096)
def token_prices(model: str) -> tuple[float, float]:
    """(USD per prompt token, USD per completion token) from litellm's cost map; (0, 0) if unknown."""
    for name in dict.fromkeys((model, wire_model(model))):
        try:
            info = litellm.get_model_info(name)
        except Exception:  # litellm raises a bare Exception for a model it does not know
            continue
        return float(info.get("input_cost_per_token") or 0.0), float(info.get("output_cost_per_token") or 0.0)
    return 0.0, 0.0


def cost_usd(model: str, raw: dict[str, Any]) -> float:
    prompt_price, completion_price = token_prices(model)
    usage = raw["usage"]
    return usage["prompt_tokens"] * prompt_price + usage["completion_tokens"] * completion_price


class DirectTransport:
    """One connection pool (`http.HTTPPool`) per event loop; unbounded: the client's per-model
    limiters (`limiter.py`) bound it. Close it with `aclose()` from the loop that used it."""

    def __init__(self) -> None:
        self._pools: dict[asyncio.AbstractEventLoop, HTTPPool] = {}

    def _pool(self) -> HTTPPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            gen0, gen1, gen2 = gc.get_threshold()
            if 0 < gen0 < GC_GEN0_THRESHOLD:
                gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
                # and what lives before the first call (the store's engine, schemas, configs) is
                # frozen too, once a process: a full collection in mid-run walked it for 50-170 ms
                # (half a wave of replies at 1,024 in flight), collecting nothing
                gc.freeze()
            for old in [lp for lp in self._pools if lp.is_closed()]:
                del self._pools[old]  # pools of finished loops: their sockets went with them
            pool = self._pools[loop] = HTTPPool()
        return pool

    async def aclose(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        pool = self._pools.pop(loop, None)
        if pool is not None:
            await pool.aclose()

    async def send(
        self, api_base: str, model: str, request: dict[str, Any], secret: str | None, timeout_s: float
    ) -> dict[str, Any]:
        """The reply as the client's plain `raw` dict; failures raise litellm's exception types."""
        origin = parse_origin(api_base)
        head = request_head(origin, "/chat/completions", _headers(secret))
        body = dict(request)
        body["model"] = wire_model(model)
        try:
            payload = orjson.dumps(body)  # compact UTF-8, like the OpenAI SDK
        except TypeError as exc:
            raise litellm.BadRequestError(
                f"request is not JSON-serialisable: {exc}", model=model, llm_provider=PROVIDER
            ) from None
        try:
            response = await self._pool().post(origin, head, payload, timeout_s)
        except TimeoutError:
            raise litellm.Timeout(
                f"no reply within {timeout_s:g} s", model=model, llm_provider=PROVIDER
            ) from None
        except (HTTPError, OSError) as exc:
            raise litellm.APIConnectionError(
                f"{type(exc).__name__}: {exc}", llm_provider=PROVIDER, model=model
            ) from None
        if response.status >= 400:
            url = f"{origin.scheme}://{origin.netloc}{origin.prefix}/chat/completions"
            raise _status_error(response.status, response.headers, response.body, url, model)
        try:
            return raw_from_json(orjson.loads(response.body))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise litellm.InternalServerError(
                f"unreadable response body ({type(exc).__name__}): {response.body[:200]!r}",
                llm_provider=PROVIDER,
                model=model,
            ) from None


@functools.lru_cache(maxsize=64)
def _headers(secret: str | None) -> tuple[tuple[str, str], ...]:
    return (
        ("Authorization", f"Bearer {secret if secret is not None else 'none'}"),
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
    )


def raw_from_json(data: dict[str, Any]) -> dict[str, Any]:
    """The parts of an OpenAI chat-completion body we keep — the same shape as `raw_from_response`."""
    choice = data["choices"][0]
    message = choice["message"]
    calls = message.get("tool_calls") or []
    usage = data.get("usage") or {}
    return {
        "id": data.get("id"),
        "model": data.get("model"),
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": message.get("content"),
                    "tool_calls": [
                        {
                            "id": call.get("id"),
                            "type": "function",
                            "function": {
                                "name": call["function"]["name"],
                                "arguments": call["function"].get("arguments"),
                            },
                        }
                        for call in calls
                    ],
                },
                "finish_reason": choice.get("finish_reason"),
            }
        ],
        "usage": {
            "prompt_tokens": int(usage.get("prompt_tokens") or 0),
            "completion_tokens": int(usage.get("completion_tokens") or 0),
        },
    }


_BY_STATUS: dict[int, Any] = {
    400: litellm.BadRequestError,
    401: litellm.AuthenticationError,
    403: litellm.PermissionDeniedError,
    404: litellm.NotFoundError,
    429: litellm.RateLimitError,
    500: litellm.InternalServerError,
    502: litellm.BadGatewayError,
    503: litellm.ServiceUnavailableError,
}


def _status_error(status: int, headers: dict[str, str], data: bytes, url: str, model: str) -> Exception:
    """An HTTP error status as litellm's exception for it (429 and 5xx retryable, others not), its
    headers on `.response` so Retry-After / retry-after-ms are honoured."""
    response = httpx.Response(status, headers=headers, content=data, request=httpx.Request("POST", url))
    try:
        detail = json.loads(data)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        detail = data[:200].decode("utf-8", "replace")
    message = f"HTTP {status}: {detail}"
    cls = _BY_STATUS.get(status)
    if cls is None:
        return litellm.APIError(
            status_code=status, message=message, llm_provider=PROVIDER, model=model, response=response
        )
    return cls(message=message, llm_provider=PROVIDER, model=model, response=response)
