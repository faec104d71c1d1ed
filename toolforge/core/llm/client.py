"""The one door to every model: litellm `acompletion` (or, with `transport="openai_compatible"`, a lean
HTTP POST: `direct.py`) with a concurrency limit per model, bounded
retries (backoff + jitter, Retry-After honoured), a budget, per-call accounting rows, a response
cache in the store, structured output with one repair attempt, and tool calling in two modes."""

from __future__ import annotations

import asyncio
import functools
import itertools
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import openai
from pydantic import BaseModel

from toolforge.core.errors import BudgetExceeded, LLMError, StructuredOutputError
from toolforge.core.llm._litellm import litellm
from toolforge.core.llm.actions import (
    action_schema,
    assistant_message,
    json_mode_messages,
    parse_action,
)
from toolforge.core.llm.checkpoint import checkpoint_fingerprint, checkpoint_reply
from toolforge.core.llm.completion import (
    Completion,
    completion_from_raw,
    raw_from_response,
    request_key,
)
from toolforge.core.llm.config import LOCAL_PREFIX, Budget, LLMConfig
from toolforge.core.llm.direct import DirectTransport, cost_usd
from toolforge.core.llm.limiter import Limiter
from toolforge.core.llm.local import N_PARALLEL, local_api_base
from toolforge.core.llm.metering import report_usage
from toolforge.core.llm.recorder import Recorder
from toolforge.core.llm.retry import backoff_s, is_retryable, retry_after_s
from toolforge.core.store import LLMCacheRow, LLMCallRow, Store, failure_row
from toolforge.core.store.tables import utcnow
from toolforge.core.types import Message, ToolSpec, Usage

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

REPAIR_PROMPT = (
    "Your previous reply could not be used: {error}\n"
    "Reply again with only a JSON object that matches the required schema, and nothing else."
)


class LLMClient:
    """One client per run. `usage` holds the run's totals (the sum of its call rows).

    - One `LLMCallRow` per logical call (its retries counted in it; a repair is another call),
      buffered and committed in batches; a cache hit is a row with `cached=True` and no tokens.
    - The response cache lives in the store: without a store there is no cache and no rows.
    - The budget is checked before each call; calls already in flight may overshoot it by at most
      their own cost (the concurrency limit bounds how many).
    - Semaphores are per model string, sized by the first config seen for that model.
    """

    def __init__(
        self,
        store: Store | None = None,
        run_id: str = "",
        budget: Budget | None = None,
        retry_base_s: float = 0.5,
        retry_max_s: float = 20.0,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.budget = budget or Budget()
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self.usage = Usage()
        self._recorder = Recorder(store)
        self._limiters: dict[str, Limiter] = {}
        self._rng = random.Random()
        self._direct = DirectTransport()
        # call-row ids: a random prefix per client and a counter (uuid4 per call was a syscall each)
        self._row_prefix = f"call_{uuid.uuid4().hex[:20]}"
        self._row_ids = itertools.count()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Commit every buffered row (accounting, cache, failures); close the direct transport's session."""
        await self._direct.aclose()
        await self._recorder.aclose()

    async def flush(self) -> None:
        await self._recorder.flush()

    # ---- public calls -------------------------------------------------------------------------

    async def complete(
        self,
        cfg: LLMConfig,
        messages: list[dict[str, Any]],
        *,
        role: str,
        cache_salt: str = "",
        **params: Any,
    ) -> Completion:
        """One chat completion; `params` go to litellm as they are (tools=, response_format=, ...)."""
        completion, key = await self._complete(cfg, messages, role, cache_salt, params)
        if not completion.cached:
            self._cache_put(key, cfg, completion.raw)
        return completion

    async def structured(
        self,
        cfg: LLMConfig,
        messages: list[dict[str, Any]],
        output: type[M],
        *,
        role: str,
        cache_salt: str = "",
        item_id: str = "",
    ) -> M:
        """A reply validated as `output` (its JSON schema sent as `response_format`); one repair
        attempt; then a stored failure and StructuredOutputError carrying the raw text."""
        return await self._validated(
            cfg,
            messages,
            role,
            cache_salt,
            {"response_format": _response_format(output)},
            lambda text: output.model_validate_json(text or ""),
            item_id,
        )

    async def act(
        self,
        cfg: LLMConfig,
        messages: list[Message],
        tools: list[ToolSpec],
        *,
        role: str = "agent",
        cache_salt: str = "",
    ) -> Message:
        """The agent's next assistant Message. `native` passes `tools=`; `json` constrains the reply to
        `{"tool_calls": [...]}` or `{"reply": ...}`; both give the same Message (ids deterministic)."""
        turn = len(messages)
        if cfg.effective_tool_mode == "native":
            params: dict[str, Any] = {"tools": [t.openai_function() for t in tools]} if tools else {}
            completion = await self.complete(
                cfg, [m.openai() for m in messages], role=role, cache_salt=cache_salt, **params
            )
            calls = [(c.function.name, c.function.arguments) for c in completion.tool_calls]
            return assistant_message(turn, completion.text, calls)
        schema = action_schema(tools)
        response_format = {"type": "json_schema", "json_schema": {"name": "action", "schema": schema}}
        text, calls = await self._validated(
            cfg,
            json_mode_messages(messages, tools),
            role,
            cache_salt,
            {"response_format": response_format},
            lambda reply: parse_action(reply, tools),
            "",
        )
        return assistant_message(turn, text, calls)

    # ---- validation and repair ----------------------------------------------------------------

    async def _validated(
        self,
        cfg: LLMConfig,
        messages: list[dict[str, Any]],
        role: str,
        cache_salt: str,
        params: dict[str, Any],
        parse: Callable[[str | None], T],
        item_id: str,
    ) -> T:
        stage = f"llm.{role}"
        errors: list[str] = []
        attempt_messages = list(messages)
        completion: Completion | None = None
        key = ""
        for attempt in range(2):  # the call, then one repair
            try:
                completion, key = await self._complete(cfg, attempt_messages, role, cache_salt, params)
            except BudgetExceeded:
                raise
            except LLMError as exc:
                fallback = key or request_key({"model": cfg.model, "messages": attempt_messages}, cache_salt)
                await self._fail(stage, item_id or fallback, f"call failed: {exc}", None)
                raise
            try:
                value = parse(completion.text)
            except ValueError as exc:
                errors.append(_short(str(exc)))
                if attempt == 0:
                    attempt_messages = [
                        *messages,
                        {"role": "assistant", "content": completion.text or ""},
                        {"role": "user", "content": REPAIR_PROMPT.format(error=errors[-1])},
                    ]
                continue
            if not completion.cached:
                self._cache_put(key, cfg, completion.raw)
            return value
        raw = completion.text if completion is not None and completion.text is not None else ""
        reason = f"invalid structured output after one repair: first: {errors[0]} | repair: {errors[-1]}"
        await self._fail(stage, item_id or key, reason, raw)
        raise StructuredOutputError(f"{cfg.model} ({role}): {reason}", raw=raw)

    async def _fail(self, stage: str, item_id: str, reason: str, raw: str | None) -> None:
        if self.store is None:
            return
        self._recorder.add(failure_row(stage, item_id, reason, raw, self.run_id))
        await self._recorder.flush()

    # ---- one call: concurrency slot, cache, budget, retries, accounting -----------------------

    async def _complete(
        self,
        cfg: LLMConfig,
        messages: list[dict[str, Any]],
        role: str,
        cache_salt: str,
        params: dict[str, Any],
    ) -> tuple[Completion, str]:
        request: dict[str, Any] = {
            "model": cfg.model,
            "messages": messages,
            "temperature": cfg.temperature,
            "max_tokens": cfg.max_tokens,
            **cfg.extra,
            **params,
        }
        # The slot is taken before the cache key and lookup: calls queued behind the limit cost
        # nothing until their turn, so the first requests go out at once even when thousands
        # are submitted together (their keys and lookups used to delay the first send by 0.2 s).
        async with self._limiter(cfg):
            key = request_key(_keyed_request(cfg, request), cache_salt)
            hit = await self._recorder.cache_get(key)
            if hit is not None:
                completion = completion_from_raw(hit, 0.0, cached=True)
                self._account(cfg, role, completion.usage, 0.0, 0, cached=True, error=None)
                return completion, key
            self._check_budget()
            raw, cost, latency, retries = await self._send(cfg, request, role)
        completion = completion_from_raw(raw, cost, cached=False)
        self._account(cfg, role, completion.usage, latency, retries, cached=False, error=None)
        return completion, key

    def _limiter(self, cfg: LLMConfig) -> Limiter:
        limiter = self._limiters.get(cfg.model)
        if limiter is None:
            # the bundled server has N_PARALLEL slots: more in flight would only queue (and time out) there
            limit = min(cfg.concurrency, N_PARALLEL) if cfg.is_local else cfg.concurrency
            if cfg.checkpoint_dir is not None:  # generates one reply at a time, in this process
                limit = 1
            limiter = self._limiters[cfg.model] = Limiter(limit)
        return limiter

    async def _send(
        self, cfg: LLMConfig, request: dict[str, Any], role: str
    ) -> tuple[dict[str, Any], float, float, int]:
        """The call and its retries, within the caller's concurrency slot."""
        secret = cfg.api_key()
        gguf = str(cfg.gguf_file) if cfg.gguf_file is not None else None
        api_base = await asyncio.to_thread(local_api_base, gguf) if cfg.is_local else cfg.api_base
        served = Path(gguf).stem if gguf is not None else cfg.model.removeprefix(LOCAL_PREFIX)
        model = "openai/" + served if cfg.is_local else cfg.model
        send = self._sender(cfg, request, model, api_base, None if cfg.is_local else secret)
        retries = 0
        start = time.perf_counter()  # latency = the call and its retries
        while True:
            try:
                raw, cost = await send()
                break
            except openai.OpenAIError as exc:
                if not is_retryable(exc) or retries >= cfg.max_retries:
                    latency = time.perf_counter() - start
                    message = _redact(f"{type(exc).__name__}: {exc}", secret)
                    what = "gave up after" if is_retryable(exc) else "failed on"
                    self._account(cfg, role, Usage(calls=1), latency, retries, cached=False, error=message)
                    raise LLMError(
                        f"{cfg.model} ({role}) {what} attempt {retries + 1}: {_short(message)}"
                    ) from None
                wait = retry_after_s(exc)
                if wait is None:
                    wait = backoff_s(retries, self.retry_base_s, self.retry_max_s, self._rng)
                retries += 1
                await asyncio.sleep(wait)
        latency = time.perf_counter() - start
        return raw, cost, latency, retries

    def _sender(
        self, cfg: LLMConfig, request: dict[str, Any], model: str, api_base: str | None, secret: str | None
    ) -> Callable[[], Awaitable[tuple[dict[str, Any], float]]]:
        """One attempt of the call as `(raw, cost)`: the transport is chosen here and only here.
        Both raise litellm's (openai's) exception types, so one retry path serves both. A checkpoint
        directory generates in-process (a worker thread) and has nothing to retry."""
        checkpoint = cfg.checkpoint_dir
        if checkpoint is not None:

            async def send_checkpoint() -> tuple[dict[str, Any], float]:
                return await asyncio.to_thread(checkpoint_reply, checkpoint, request), 0.0

            return send_checkpoint
        if cfg.transport == "openai_compatible":
            assert api_base is not None  # LLMConfig requires it for this transport
            direct = self._direct

            async def send_direct() -> tuple[dict[str, Any], float]:
                raw = await direct.send(api_base, model, request, secret, cfg.timeout_s)
                return raw, cost_usd(cfg.model, raw)

            return send_direct
        kwargs = dict(request)
        kwargs["model"] = model
        if api_base is not None:
            kwargs["api_base"] = api_base
            kwargs["api_key"] = secret if secret is not None else "none"
        elif secret is not None:
            kwargs["api_key"] = secret
        kwargs["timeout"] = cfg.timeout_s
        kwargs["max_retries"] = 0  # the OpenAI SDK's own retries: ours are the only ones

        async def send_litellm() -> tuple[dict[str, Any], float]:
            response = await litellm.acompletion(**kwargs)
            hidden = getattr(response, "_hidden_params", None) or {}
            return raw_from_response(response), float(hidden.get("response_cost") or 0.0)

        return send_litellm

    def _check_budget(self) -> None:
        budget = self.budget
        if budget.max_cost_usd is not None and self.usage.cost_usd >= budget.max_cost_usd:
            raise BudgetExceeded(
                f"spend budget used up: ${self.usage.cost_usd:.4f} of ${budget.max_cost_usd:.4f}; "
                "raise Budget.max_cost_usd to continue"
            )
        tokens = self.usage.prompt_tokens + self.usage.completion_tokens
        if budget.max_tokens is not None and tokens >= budget.max_tokens:
            raise BudgetExceeded(
                f"token budget used up: {tokens} of {budget.max_tokens}; raise Budget.max_tokens to continue"
            )

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
        self.usage = self.usage.add(usage)
        report_usage(usage)
        self._recorder.add_values(
            LLMCallRow,
            {
                "id": f"{self._row_prefix}{next(self._row_ids):012x}",
                "run_id": self.run_id,
                "role": role,
                "model": cfg.model,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "cost_usd": usage.cost_usd,
                "latency_s": latency_s,
                "retries": retries,
                "cached": cached,
                "ok": error is None,
                "error": error,
                "created_at": utcnow(),
            },
        )

    def _cache_put(self, key: str, cfg: LLMConfig, raw: dict[str, Any]) -> None:
        self._recorder.add_values(
            LLMCacheRow, {"key": key, "model": cfg.model, "response": raw, "created_at": utcnow()}
        )


@functools.lru_cache(maxsize=1024)
def _response_format(output: type[BaseModel]) -> dict[str, Any]:
    """`response_format` for a pydantic model (the JSON schema is built once per class)."""
    return {
        "type": "json_schema",
        "json_schema": {"name": output.__name__, "schema": output.model_json_schema()},
    }


def _keyed_request(cfg: LLMConfig, request: dict[str, Any]) -> dict[str, Any]:
    """What the cache key hashes: the request, plus the weights' fingerprint for a checkpoint."""
    checkpoint = cfg.checkpoint_dir
    if checkpoint is None or not checkpoint.is_dir():
        return request
    return {**request, "checkpoint": checkpoint_fingerprint(checkpoint)}


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


def _short(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
