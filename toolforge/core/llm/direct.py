"""The lean transport for OpenAI-compatible servers (`LLMConfig.transport="openai_compatible"`):
one POST to `{api_base}/chat/completions` on a shared aiohttp session, no litellm in the call path.

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

import aiohttp
import httpx

from toolforge.core.llm._litellm import litellm

PROVIDER = "openai"
# Young collections every 700 allocations were ~10% of the client's CPU at 2,000 calls/s (and their
# pauses bunch replies up); a process that opts into this transport collects every 10,000 instead.
GC_GEN0_THRESHOLD = 10_000
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
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


@functools.lru_cache(maxsize=64)
def _timeout(total_s: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=total_s)


class DirectTransport:
    """One `aiohttp.ClientSession` per event loop (its connector unbounded: the client's per-model
    semaphores are the limit). Close it with `aclose()` from the loop that used it."""

    def __init__(self) -> None:
        self._sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            gen0, gen1, gen2 = gc.get_threshold()
            if 0 < gen0 < GC_GEN0_THRESHOLD:
                gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
            for old in [lp for lp in self._sessions if lp.is_closed()]:
                del self._sessions[old]  # sessions of finished loops: their sockets went with them
            session = self._sessions[loop] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, limit_per_host=0),
                skip_auto_headers=("User-Agent",),
            )
        return session

    async def aclose(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        session = self._sessions.pop(loop, None)
        if session is not None:
            await session.close()

    async def send(
        self, api_base: str, model: str, request: dict[str, Any], secret: str | None, timeout_s: float
    ) -> dict[str, Any]:
        """The reply as the client's plain `raw` dict; failures raise litellm's exception types."""
        body = dict(request)
        body["model"] = wire_model(model)
        url = api_base.rstrip("/") + "/chat/completions"
        headers = {
            "Authorization": f"Bearer {secret if secret is not None else 'none'}",
            "Content-Type": "application/json",
        }
        payload = _dumps(body).encode()  # compact, like the OpenAI SDK
        try:
            async with self._session().post(
                url, data=payload, headers=headers, timeout=_timeout(timeout_s)
            ) as response:
                status = response.status
                data = await response.read()
                reply_headers = response.headers if status >= 400 else None
        except TimeoutError:
            raise litellm.Timeout(
                f"no reply within {timeout_s:g} s", model=model, llm_provider=PROVIDER
            ) from None
        except aiohttp.ClientError as exc:
            raise litellm.APIConnectionError(
                f"{type(exc).__name__}: {exc}", llm_provider=PROVIDER, model=model
            ) from None
        if reply_headers is not None:
            raise _status_error(status, dict(reply_headers), data, url, model)
        try:
            return raw_from_json(json.loads(data))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise litellm.InternalServerError(
                f"unreadable response body ({type(exc).__name__}): {data[:200]!r}",
                llm_provider=PROVIDER,
                model=model,
            ) from None


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
