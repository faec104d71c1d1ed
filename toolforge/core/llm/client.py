"""The one door to every model: one attempt goes through the configured transport (`transport.py`:
litellm, or a direct HTTP POST to an OpenAI-compatible server), with a concurrency limit per model, bounded
retries (backoff + jitter, Retry-After honoured), a budget, per-call accounting rows, a response
cache in the store, structured output with one repair attempt, and tool calling in two modes."""

from __future__ import annotations

import asyncio
import functools
import itertools
import random
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from toolforge.core import secrets
from toolforge.core.errors import AuthError, BudgetExceeded, LLMError, StructuredOutputError
from toolforge.core.llm._litellm import openai
from toolforge.core.llm.actions import (
    action_schema,
    assistant_message,
    json_mode_messages,
    parse_action,
)
from toolforge.core.llm.checkpoint import checkpoint_fingerprint
from toolforge.core.llm.completion import (
    Completion,
    completion_from_raw,
    request_key,
)
from toolforge.core.llm.config import Budget, LLMConfig
from toolforge.core.llm.direct import DirectTransport
from toolforge.core.llm.limiter import Limiter
from toolforge.core.llm.local import N_PARALLEL, local_api_base, served_name
from toolforge.core.llm.metering import report_usage
from toolforge.core.llm.recorder import Recorder
from toolforge.core.llm.retry import backoff_s, is_auth_error, is_retryable, retry_after_s
from toolforge.core.llm.shared import SharedLimits
from toolforge.core.llm.tool_names import ProviderNames
from toolforge.core.llm.transport import CheckpointTransport, LiteLLMTransport, Transport
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
        shared: SharedLimits | None = None,
        transports: dict[str, Transport] | None = None,
    ) -> None:
        """`shared` holds limits with other clients (the nodes of a cluster: shared.py);
        `transports` replaces the transport behind a name (`LLMConfig.transport`), e.g. a
        benchmark's variant; by default litellm's and the direct one."""
        self.shared = shared
        self.store = store
        self.run_id = run_id
        self.budget = budget or Budget()
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self.usage = Usage()
        self._recorder = Recorder(store)
        self._limiters: dict[str, Limiter] = {}
        self._rng = random.Random()
        self._transports: dict[str, Transport] = {
            "litellm": LiteLLMTransport(),
            "openai_compatible": DirectTransport(),
            **(transports or {}),
        }
        self._checkpoint = CheckpointTransport()
        self._refused: dict[str, str] = {}  # model -> why its key was refused (401/403)
        # call-row ids: a random prefix per client and a counter (uuid4 per call was a syscall each)
        self._row_prefix = f"call_{uuid.uuid4().hex[:20]}"
        self._row_ids = itertools.count()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Commit every buffered row (accounting, cache, failures); close the transports' connections."""
        for transport in self._transports.values():
            await transport.aclose()
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
            names = ProviderNames.for_tools(t.name for t in tools)  # MCP names a provider refuses
            params: dict[str, Any] = (
                {"tools": [names.function(t.openai_function()) for t in tools]} if tools else {}
            )
            sent = [names.message(m.openai()) for m in messages]
            completion = await self.complete(cfg, sent, role=role, cache_salt=cache_salt, **params)
            calls = [
                (names.from_provider(c.function.name), c.function.arguments) for c in completion.tool_calls
            ]
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
            if self.shared is None:
                self._check_budget()
                raw, cost, latency, retries = await self._send(cfg, request, role)
            else:
                raw, cost, latency, retries = await self._send_shared(cfg, request, role)
        completion = completion_from_raw(raw, cost, cached=False)
        self._account(cfg, role, completion.usage, latency, retries, cached=False, error=None)
        return completion, key

    async def _send_shared(
        self, cfg: LLMConfig, request: dict[str, Any], role: str
    ) -> tuple[dict[str, Any], float, float, int]:
        """`_send` within a shared slot, checked against the shared budget, charged to it."""
        assert self.shared is not None
        limit = min(cfg.concurrency, N_PARALLEL) if cfg.is_local else cfg.concurrency
        tokens, cost_usd = await self.shared.acquire(cfg.model, limit)
        spent = (0, 0.0)
        try:
            self._check_budget(Usage(prompt_tokens=tokens, cost_usd=cost_usd))
            raw, cost, latency, retries = await self._send(cfg, request, role)
            usage = raw.get("usage") or {}
            spent = (int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0), cost)
            return raw, cost, latency, retries
        finally:
            await self.shared.release(cfg.model, *spent)

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
        refused = self._refused.get(cfg.model)
        if refused is not None:  # the key was refused once: every later call would be too
            raise AuthError(refused)
        secret = cfg.api_key()
        api_base = await asyncio.to_thread(local_api_base, cfg.model) if cfg.is_local else cfg.api_base
        model = "openai/" + served_name(cfg.model) if cfg.is_local else cfg.model
        checkpoint = cfg.checkpoint_dir is not None
        transport = self._checkpoint if checkpoint else self._transports[cfg.effective_transport]
        secret_sent = None if cfg.is_local else secret
        retries = 0
        start = time.perf_counter()  # latency = the call and its retries
        while True:
            try:
                raw, cost = await transport.send(cfg, request, model, api_base, secret_sent)
                break
            except openai.OpenAIError as exc:
                if not is_retryable(exc) or retries >= cfg.max_retries:
                    latency = time.perf_counter() - start
                    message = _redact(f"{type(exc).__name__}: {exc}", secret)
                    what = "gave up after" if is_retryable(exc) else "failed on"
                    self._account(cfg, role, Usage(calls=1), latency, retries, cached=False, error=message)
                    if is_auth_error(exc):
                        self._refused[cfg.model] = (
                            f"{cfg.model} ({role}) refused the credentials: {_short(message)}. "
                            f"Check the key in ${cfg.api_key_env or '<api_key_env unset>'} "
                            "(api_key_env of this model) and that it is valid for this endpoint"
                        )
                        raise AuthError(self._refused[cfg.model]) from None
                    raise LLMError(
                        f"{cfg.model} ({role}) {what} attempt {retries + 1}: {_short(message)}"
                    ) from None
                wait = retry_after_s(exc)
                if wait is None:
                    wait = backoff_s(retries, self.retry_base_s, self.retry_max_s, self._rng)
                retries += 1
                if self.shared is not None:
                    await self.shared.pause(cfg.model, wait)  # every client of the model waits
                await asyncio.sleep(wait)
        latency = time.perf_counter() - start
        # A provider may echo the key in a successful body: masked before anything keeps it.
        return secrets.scrub_value(raw), cost, latency, retries

    def _check_budget(self, spent: Usage | None = None) -> None:
        """Against this client's usage, or `spent`: what all clients sharing limits spent."""
        budget = self.budget
        usage = spent if spent is not None else self.usage
        if budget.max_cost_usd is not None and usage.cost_usd >= budget.max_cost_usd:
            raise BudgetExceeded(
                f"spend budget used up: ${usage.cost_usd:.4f} of ${budget.max_cost_usd:.4f}; "
                "raise Budget.max_cost_usd to continue"
            )
        tokens = usage.prompt_tokens + usage.completion_tokens
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
    text = text.replace(secret, secrets.MASK) if secret else text
    return secrets.scrub(text)


def _short(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
