"""The direct transport for OpenAI-compatible servers (`LLMConfig.transport="openai_compatible"`):
one POST to `{api_base}/chat/completions` on a keep-alive connection pool (`http.py`), no litellm in
the call path. The pool is the hand-written client in `http.py` because it beat the same path on
aiohttp by more than 1.2x in bench/llm_throughput.py (figures: docs/llm.md); any other `Pool`
(the bench's aiohttp one) plugs in through `DirectTransport(pool_factory=...)`.

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
from collections.abc import Callable
from typing import Any, Protocol

import httpx
import orjson

from toolforge.core.errors import ConfigError
from toolforge.core.llm._litellm import litellm
from toolforge.core.llm.config import LLMConfig
from toolforge.core.llm.http import HTTPError, HTTPPool, Response, parse_origin, request_head

PROVIDER = "openai"
PATH = "/chat/completions"


@functools.cache
def _providers() -> frozenset[str]:
    """litellm's provider prefixes (read on first use: litellm is imported lazily)."""
    return frozenset(str(getattr(p, "value", p)) for p in litellm.provider_list)


@functools.lru_cache(maxsize=4096)
def wire_model(model: str) -> str:
    """The `model` field on the wire: the provider prefix dropped as litellm does
    (`openai/x` → `x`, `hosted_vllm/org/x` → `org/x`); a string without a known prefix is kept."""
    prefix, _, rest = model.partition("/")
    return rest if rest and prefix in _providers() else model


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


Headers = tuple[tuple[str, str], ...]


class Pool(Protocol):
    """Keep-alive connections for one event loop: POST `body` to `{api_base}{path}`, the whole
    reply within `timeout_s`. Raises TimeoutError, HTTPError, or OSError (no connection)."""

    async def post(
        self, api_base: str, path: str, headers: Headers, body: bytes, timeout_s: float
    ) -> Response: ...

    async def aclose(self) -> None: ...


class LeanPool:
    """The hand-written client (`http.HTTPPool`) as a `Pool`."""

    def __init__(self) -> None:
        self.pool = HTTPPool()

    async def post(
        self, api_base: str, path: str, headers: Headers, body: bytes, timeout_s: float
    ) -> Response:
        origin = parse_origin(api_base)
        return await self.pool.post(origin, request_head(origin, path, headers), body, timeout_s)

    async def aclose(self) -> None:
        await self.pool.aclose()


class DirectTransport:
    """One connection pool per event loop; unbounded: the client's per-model limiters bound it.
    Close it with `aclose()` from the loop that used it."""

    def __init__(self, pool_factory: Callable[[], Pool] = LeanPool) -> None:
        self.pool_factory = pool_factory
        self._pools: dict[asyncio.AbstractEventLoop, Pool] = {}

    def _pool(self) -> Pool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            for old in [lp for lp in self._pools if lp.is_closed()]:
                del self._pools[old]  # pools of finished loops: their sockets went with them
            pool = self._pools[loop] = self.pool_factory()
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
        self, cfg: LLMConfig, request: dict[str, Any], model: str, api_base: str | None, secret: str | None
    ) -> tuple[dict[str, Any], float]:
        """The reply as the client's plain `raw` dict and its cost (from litellm's cost map, by
        `cfg.model`); failures raise litellm's exception types."""
        assert api_base is not None  # LLMConfig requires it for this transport
        raw = await self._post(api_base, model, request, secret, cfg.timeout_s)
        return raw, cost_usd(cfg.model, raw)

    async def _post(
        self, api_base: str, model: str, request: dict[str, Any], secret: str | None, timeout_s: float
    ) -> dict[str, Any]:
        headers = _headers(secret)
        body = dict(request)
        body["model"] = wire_model(model)
        try:
            payload = orjson.dumps(body)  # compact UTF-8, like the OpenAI SDK
        except TypeError as exc:
            raise litellm.exceptions.BadRequestError(
                f"request is not JSON-serialisable: {exc}", model=model, llm_provider=PROVIDER
            ) from None
        try:
            response = await self._pool().post(api_base, PATH, headers, payload, timeout_s)
        except TimeoutError:
            raise litellm.exceptions.Timeout(
                f"no reply within {timeout_s:g} s", model=model, llm_provider=PROVIDER
            ) from None
        except (HTTPError, OSError) as exc:
            raise litellm.exceptions.APIConnectionError(
                f"{type(exc).__name__}: {exc}", llm_provider=PROVIDER, model=model
            ) from None
        if response.status >= 400:
            url = api_base.rstrip("/") + PATH
            raise _status_error(response.status, response.headers, response.body, url, model)
        try:
            return raw_from_json(orjson.loads(response.body))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise litellm.exceptions.InternalServerError(
                f"unreadable response body ({type(exc).__name__}): {response.body[:200]!r}",
                llm_provider=PROVIDER,
                model=model,
            ) from None


@functools.lru_cache(maxsize=64)
def _headers(secret: str | None) -> Headers:
    if secret is not None and ("\r" in secret or "\n" in secret):  # the value is not shown: a key
        raise ConfigError("an HTTP header value contains a line break; check the API key and headers")
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


@functools.cache
def _by_status() -> dict[int, Any]:
    """litellm's exception type per HTTP status (read on first use: litellm is imported lazily)."""
    return {
        400: litellm.exceptions.BadRequestError,
        401: litellm.exceptions.AuthenticationError,
        403: litellm.exceptions.PermissionDeniedError,
        404: litellm.exceptions.NotFoundError,
        429: litellm.exceptions.RateLimitError,
        500: litellm.exceptions.InternalServerError,
        502: litellm.exceptions.BadGatewayError,
        503: litellm.exceptions.ServiceUnavailableError,
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
    cls = _by_status().get(status)
    if cls is None:
        return litellm.exceptions.APIError(
            status_code=status, message=message, llm_provider=PROVIDER, model=model, response=response
        )
    return cls(message=message, llm_provider=PROVIDER, model=model, response=response)
