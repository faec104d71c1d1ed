"""The direct transport for OpenAI-compatible servers (`LLMConfig.transport="openai_compatible"`):
one POST to `{api_base}/chat/completions` on an aiohttp keep-alive connection pool, no litellm in
the call path.

It sends the body litellm would send and hands back the same plain `raw` dict; its failures are
litellm's exception types (429 → RateLimitError, 5xx → InternalServerError/..., timeouts →
Timeout, connection errors and unreadable bodies → APIConnectionError/InternalServerError), with
the response headers attached, so the client's one retry path (Retry-After honoured) serves both
transports. Cost comes from litellm's cost map, looked up once per model (0 when it is unknown).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
import orjson

from toolforge.core.errors import ConfigError
from toolforge.core.llm._litellm import litellm
from toolforge.core.llm.http import HTTPError, HTTPPool, parse_origin, request_head

PROVIDER = "openai"
_PROVIDERS = frozenset(str(getattr(p, "value", p)) for p in litellm.provider_list)
# Which HTTP client carries the requests: aiohttp, or the hand-written one (http.py). Read by
# bench/llm_throughput.py's side-by-side run only; one of the two is removed once measured.
_ENGINE = os.environ.get("TOOLFORGE_DIRECT_HTTP", "aiohttp")


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


class _Reply:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


class _AiohttpPool:
    """One aiohttp session for one event loop: keep-alive connections, no connection limit (the
    client's per-model limiters bound it), gzip/deflate decoded, https through the system's CAs."""

    def __init__(self) -> None:
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=15),
            skip_auto_headers=("User-Agent",),
        )

    async def post(self, url: str, headers: dict[str, str], body: bytes, timeout_s: float) -> _Reply:
        try:
            async with self.session.post(
                url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)
            ) as response:
                return _Reply(response.status, dict(response.headers), await response.read())
        except TimeoutError:
            raise
        except aiohttp.ClientError as exc:
            raise HTTPError(f"{type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        await self.session.close()


class _HandwrittenPool:
    """The hand-written client (http.py) behind the same two calls."""

    def __init__(self) -> None:
        self.pool = HTTPPool()

    async def post(self, url: str, headers: dict[str, str], body: bytes, timeout_s: float) -> _Reply:
        origin = parse_origin(url.rsplit("/chat/completions", 1)[0])
        head = request_head(origin, "/chat/completions", tuple(headers.items()))
        response = await self.pool.post(origin, head, body, timeout_s)
        return _Reply(response.status, response.headers, response.body)

    async def aclose(self) -> None:
        await self.pool.aclose()


class DirectTransport:
    """One connection pool per event loop. Close it with `aclose()` from the loop that used it."""

    def __init__(self) -> None:
        self._pools: dict[asyncio.AbstractEventLoop, _AiohttpPool | _HandwrittenPool] = {}

    def _pool(self) -> _AiohttpPool | _HandwrittenPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            for old in [lp for lp in self._pools if lp.is_closed()]:
                del self._pools[old]  # pools of finished loops: their sockets went with them
            pool = self._pools[loop] = _HandwrittenPool() if _ENGINE == "handwritten" else _AiohttpPool()
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
        url = _endpoint(api_base)
        headers = _headers(secret)
        body = dict(request)
        body["model"] = wire_model(model)
        try:
            payload = orjson.dumps(body)  # compact UTF-8, like the OpenAI SDK
        except TypeError as exc:
            raise litellm.BadRequestError(
                f"request is not JSON-serialisable: {exc}", model=model, llm_provider=PROVIDER
            ) from None
        try:
            response = await self._pool().post(url, headers, payload, timeout_s)
        except TimeoutError:
            raise litellm.Timeout(
                f"no reply within {timeout_s:g} s", model=model, llm_provider=PROVIDER
            ) from None
        except (HTTPError, OSError) as exc:
            raise litellm.APIConnectionError(
                f"{type(exc).__name__}: {exc}", llm_provider=PROVIDER, model=model
            ) from None
        if response.status >= 400:
            raise _status_error(response.status, response.headers, response.body, url, model)
        try:
            return raw_from_json(orjson.loads(response.body))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise litellm.InternalServerError(
                f"unreadable response body ({type(exc).__name__}): {response.body[:200]!r}",
                llm_provider=PROVIDER,
                model=model,
            ) from None


@functools.lru_cache(maxsize=256)
def _endpoint(api_base: str) -> str:
    """`{api_base}/chat/completions`; a ConfigError naming the fix for anything that is not http(s)."""
    parts = urlsplit(api_base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not an http(s) URL: {api_base!r}; give api_base as http://HOST:PORT/PATH")
    return api_base.rstrip("/") + "/chat/completions"


@functools.lru_cache(maxsize=64)
def _headers(secret: str | None) -> dict[str, str]:
    """The request's headers (callers must not change the dict: it is shared)."""
    if secret is not None and ("\r" in secret or "\n" in secret):  # the value is not shown: a key
        raise ConfigError("an HTTP header value contains a line break; check the API key and headers")
    return {
        "Authorization": f"Bearer {secret if secret is not None else 'none'}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


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
