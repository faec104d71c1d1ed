"""A loopback OpenAI-compatible server with scripted replies, for tests and benchmarks.

It speaks `POST /v1/chat/completions` (and `GET /v1/models`, `GET /health`) over real HTTP/1.1
with keep-alive, on raw asyncio protocols, so the real litellm client can be driven through it
with 1,000+ concurrent connections. No streaming.

In-process (a background thread with its own event loop)::

    from toolforge_testing.llm_server import Faults, Reply, TestServer

    with TestServer(latency_ms=5) as server:          # or server = TestServer().start(); server.stop()
        cfg = LLMConfig(model="openai/test", api_base=server.url)   # url = http://127.0.0.1:PORT/v1
        server.enqueue(Reply.text("hi"), Reply.calls(("get_weather", {"city": "Paris"})))
        ...
        server.requests[-1].body    # every request as parsed JSON (Request: index, path, headers, body)

Inside the test's own event loop: `server = await TestServer().astart()` ... `await server.aclose()`.

How a request is answered, first match wins:
1. the queue: `server.enqueue(*replies)` — scripted replies, consumed in arrival order;
2. the responder: `TestServer(responder=fn)` or `server.responder = fn`, where
   `fn(request: Request) -> Reply | None` (None falls through);
3. the seeded fault mix: `TestServer(faults=Faults(rate_429=.2, rate_500=.05, rate_malformed=.05,
   rate_truncated=0, rate_timeout=.02, retry_after="0", retry_after_ms=20, hang_s=5, seed=0))`;
4. the default, `Reply.auto()`: when the request has `response_format` with a JSON schema, a
   schema-valid instance of it (`toolforge.core.jsonschema_tools.instance_for`); otherwise a short text.

Replies (`Reply.*`): `auto()`, `text(s)`, `json(value)`, `calls((name, args), ...)` (native
tool calls), `error(status, retry_after=None, retry_after_ms=None)` (429, 500, ...),
`malformed()` (content is not JSON), `truncated()` (a JSON prefix, finish_reason "length"),
`bad_body()` (the HTTP body is not JSON), `hang(seconds)` (a slow reply: set it above the client's
timeout for a timeout). Every reply takes `delay_s`; `latency_ms` is added to every request.
Usage is reported (prompt ≈ len(messages JSON)/4 tokens, completion ≈ len(content)/4).
`server.counts` counts replies by kind ("auto", "hang", "429", "malformed", ...); `server.max_open` is the
most connections open at once. `TestServer(record=False)` stops keeping `requests` (benchmarks).

As a subprocess::

    python -m toolforge_testing.llm_server --port 0 --latency-ms 100 --fault-429 0.2 --seed 1
    # prints "listening on http://127.0.0.1:PORT/v1" once ready; GET /stats gives the counts

or from Python: `with spawn_server(latency_ms=100, faults=Faults(...)) as proc:` → `proc.url`,
`proc.stats()` (`{"counts": ..., "max_open": ...}`), `proc.cpu_s()`.
"""

from toolforge_testing.llm_server.process import ServerProcess, spawn_server
from toolforge_testing.llm_server.replies import Faults, Reply, Request
from toolforge_testing.llm_server.server import Responder, TestServer

__all__ = ["Faults", "Reply", "Request", "Responder", "ServerProcess", "TestServer", "spawn_server"]
