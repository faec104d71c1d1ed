"""What the test server answers: scripted `Reply` values, the seeded `Faults` mix, and the OpenAI
response bodies they turn into."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from toolforge.core.jsonschema_tools import instance_for

Kind = Literal["auto", "hang", "text", "tool_calls", "json", "error", "malformed", "truncated", "bad_body"]


@dataclass(frozen=True)
class Request:
    """One request as the server saw it: `index` counts from 0 in arrival order."""

    index: int
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema of `response_format` (json_schema form), if the request has one."""
        rf = self.body.get("response_format") or {}
        if rf.get("type") == "json_schema":
            return (rf.get("json_schema") or {}).get("schema") or {}
        if rf.get("type") == "json_object":
            return rf.get("schema") or {"type": "object"}
        return None


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build it with the class methods; `delay_s` adds latency to any kind."""

    kind: Kind = "auto"
    content: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    retry_after: str | None = None
    retry_after_ms: int | None = None
    delay_s: float = 0.0
    finish_reason: str | None = None

    @classmethod
    def auto(cls, delay_s: float = 0.0) -> Reply:
        """The default: a schema-valid instance when the request has a schema, else a short text."""
        return cls("auto", delay_s=delay_s)

    @classmethod
    def text(cls, content: str, delay_s: float = 0.0) -> Reply:
        return cls("text", content=content, delay_s=delay_s)

    @classmethod
    def json(cls, value: Any, delay_s: float = 0.0) -> Reply:
        return cls("json", content=json.dumps(value), delay_s=delay_s)

    @classmethod
    def calls(cls, *calls: tuple[str, dict[str, Any]], content: str | None = None) -> Reply:
        """Native tool calls, e.g. `Reply.calls(("get_weather", {"city": "Paris"}))`."""
        return cls("tool_calls", content=content, tool_calls=list(calls))

    @classmethod
    def error(cls, status: int, retry_after: str | None = None, retry_after_ms: int | None = None) -> Reply:
        """An HTTP error (429, 500, 503, 400, ...), optionally with Retry-After / retry-after-ms."""
        return cls("error", status=status, retry_after=retry_after, retry_after_ms=retry_after_ms)

    @classmethod
    def malformed(cls) -> Reply:
        """A 200 whose message content is not valid JSON."""
        return cls("malformed", content='{"answer": "unterminated, "oops": }')

    @classmethod
    def truncated(cls) -> Reply:
        """A 200 whose content is valid JSON cut in the middle (finish_reason "length")."""
        return cls("truncated", finish_reason="length")

    @classmethod
    def bad_body(cls) -> Reply:
        """A 200 whose HTTP body itself is not JSON."""
        return cls("bad_body")

    @classmethod
    def hang(cls, seconds: float) -> Reply:
        """Answer normally, but only after `seconds` (longer than the client's timeout = a timeout)."""
        return cls("hang", delay_s=seconds)


@dataclass
class Faults:
    """A seeded mix of injected faults for requests nothing scripted; rates are probabilities."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_malformed: float = 0.0
    rate_truncated: float = 0.0
    rate_timeout: float = 0.0
    retry_after: str | None = "0"
    retry_after_ms: int | None = 20
    hang_s: float = 5.0
    seed: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._table = [
            (rate, reply)
            for rate, reply in (
                (self.rate_429, Reply.error(429, self.retry_after, self.retry_after_ms)),
                (self.rate_500, Reply.error(500)),
                (self.rate_malformed, Reply.malformed()),
                (self.rate_truncated, Reply.truncated()),
                (self.rate_timeout, Reply.hang(self.hang_s)),
            )
            if rate > 0
        ]

    def draw(self) -> Reply | None:
        if not self._table:
            return None
        roll = self._rng.random()
        for rate, reply in self._table:
            if roll < rate:
                return reply
            roll -= rate
        return None


def response_for(
    req: Request, reply: Reply, rng: random.Random, body_size: int = 0
) -> tuple[int, dict[str, str], bytes]:
    """(status, extra headers, body bytes) for `reply` to `req`; `body_size` sizes prompt usage."""
    if reply.kind == "error":
        headers: dict[str, str] = {}
        if reply.retry_after is not None:
            headers["Retry-After"] = reply.retry_after
        if reply.retry_after_ms is not None:
            headers["retry-after-ms"] = str(reply.retry_after_ms)
        kind = "rate_limit_exceeded" if reply.status == 429 else "server_error"
        body = {"error": {"message": f"injected {reply.status}", "type": kind, "code": reply.status}}
        return reply.status, headers, json.dumps(body).encode()
    if reply.kind == "bad_body":
        return 200, {}, b'{"id": "chatcmpl-x", "choices": [ {"message": '
    content, tool_calls, finish = _message_for(req, reply, rng)
    prompt_tokens = max(1, (body_size or len(orjson.dumps(req.body))) // 4)
    completion_tokens = max(1, len(content or "") // 4 + 8 * len(tool_calls))
    message = '{"role": "assistant", "content": ' + orjson.dumps(content).decode()
    if tool_calls:
        message += ', "tool_calls": ' + json.dumps(tool_calls)
    model = req.body.get("model", "test")
    body = (
        f'{{"id": "chatcmpl-{req.index}", "object": "chat.completion", "created": 1700000000, '
        f'"model": {orjson.dumps(model).decode()}, "choices": [{{"index": 0, "message": {message}}}, '
        f'"finish_reason": "{finish}"}}], "usage": {{"prompt_tokens": {prompt_tokens}, '
        f'"completion_tokens": {completion_tokens}, "total_tokens": {prompt_tokens + completion_tokens}}}}}'
    )
    return 200, {}, body.encode()


def _message_for(
    req: Request, reply: Reply, rng: random.Random
) -> tuple[str | None, list[dict[str, Any]], str]:
    if reply.kind == "tool_calls":
        calls = [
            {
                "id": f"call_{req.index}_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
        return reply.content, calls, "tool_calls"
    if reply.kind in ("text", "json", "malformed"):
        return reply.content, [], reply.finish_reason or "stop"
    schema = req.schema
    if reply.kind == "truncated":
        full = _instance_text(schema, rng) if schema is not None else '{"text": "a long answer"}'
        return full[: max(1, len(full) // 2)], [], "length"
    if schema is not None:
        return _instance_text(schema, rng), [], "stop"
    return "Hello from the toolforge test server.", [], "stop"


_INSTANCES: dict[bytes, list[str]] = {}
_POOL = 16


def _instance_text(schema: dict[str, Any], rng: random.Random) -> str:
    """A schema-valid instance as JSON text: one of 16 generated per schema (cheap under load)."""
    key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
    pool = _INSTANCES.get(key)
    if pool is None:
        if len(_INSTANCES) > 4096:
            _INSTANCES.clear()
        pool = _INSTANCES[key] = []
    if len(pool) < _POOL:
        pool.append(json.dumps(instance_for(schema, rng)))
        return pool[-1]
    return pool[rng.randrange(_POOL)]
