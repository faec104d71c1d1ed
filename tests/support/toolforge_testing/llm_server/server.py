"""A small HTTP/1.1 server on raw asyncio protocols: keep-alive, Content-Length bodies, thousands
of concurrent connections on one core. It answers the OpenAI chat-completions endpoint only."""

from __future__ import annotations

import asyncio
import collections
import json
import random
import threading
from collections.abc import Callable
from typing import Any

import orjson

from toolforge.core.aio import loop_factory, run
from toolforge_testing.llm_server.replies import Faults, Reply, Request, response_for

Responder = Callable[[Request], Reply | None]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


class TestServer:
    """The loopback OpenAI-compatible server. See the package docstring for the scripting API."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0.0,
        faults: Faults | None = None,
        responder: Responder | None = None,
        seed: int = 0,
        record: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.latency_s = latency_ms / 1000.0
        self.faults = faults or Faults()
        self.responder = responder
        self.record = record
        self.requests: list[Request] = []
        self.counts: collections.Counter[str] = collections.Counter()
        self.max_open = 0
        self.opened = 0  # connections accepted so far
        self._open = 0
        self._script: collections.deque[Reply] = collections.deque()
        self._rng = random.Random(seed)
        self._index = 0
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[_Connection] = set()

    # ---- scripting ----------------------------------------------------------------------------

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order (before responder and faults)."""
        self._script.extend(replies)

    def reset(self) -> None:
        """Forget scripted replies, recorded requests and counts."""
        self._script.clear()
        self.requests.clear()
        self.counts.clear()

    @property
    def url(self) -> str:
        """The `api_base` to give a client: `http://127.0.0.1:PORT/v1`."""
        return f"http://{self.host}:{self.port}/v1"

    # ---- lifecycle ----------------------------------------------------------------------------

    async def astart(self) -> TestServer:
        """Serve on the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._server = await self._loop.create_server(
            lambda: _Connection(self), self.host, self.port, backlog=8192, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def aclose(self) -> None:
        """Stop listening, drop open connections and cancel requests in progress."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for conn in list(self._connections):
            conn.close()

    def start(self) -> TestServer:
        """Serve from a background thread with its own event loop; returns once listening."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = loop_factory()()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.astart())
            except BaseException as exc:  # reported to the starting thread
                errors.append(exc)
                loop.close()  # its self-pipe sockets would otherwise wait for the collector
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.aclose())
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name="llm-testserver", daemon=True)
        self._thread.start()
        ready.wait(30)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._thread is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> TestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- answering ----------------------------------------------------------------------------

    def choose(self, req: Request) -> Reply:
        if self._script:
            try:
                return self._script.popleft()
            except IndexError:
                pass
        if self.responder is not None:
            reply = self.responder(req)
            if reply is not None:
                return reply
        return self.faults.draw() or Reply.auto()

    def respond(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[float, bytes]:
        """(delay in seconds, the whole HTTP response) for one request."""
        path = path.split("?", 1)[0]
        if method == "GET" and path in ("/health", "/v1/models", "/models"):
            payload = {"object": "list", "data": [{"id": "test", "object": "model"}]}
            return 0.0, _http(200, {}, json.dumps(payload).encode())
        if method == "GET" and path == "/stats":
            return 0.0, _http(
                200, {}, json.dumps({"counts": dict(self.counts), "max_open": self.max_open}).encode()
            )
        if method != "POST" or not path.endswith("/chat/completions"):
            return 0.0, _http(404, {}, b'{"error": {"message": "not found"}}')
        try:
            data = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            return 0.0, _http(400, {}, b'{"error": {"message": "request body is not JSON"}}')
        req = Request(self._index, path, headers, data)
        self._index += 1
        if self.record:
            self.requests.append(req)
        reply = self.choose(req)
        self.counts[reply.kind if reply.kind != "error" else str(reply.status)] += 1
        status, extra, payload = response_for(req, reply, self._rng, len(body))
        return self.latency_s + reply.delay_s, _http(status, extra, payload)


def _http(status: int, headers: dict[str, str], body: bytes) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Connection(asyncio.Protocol):
    """One client connection: parses requests and answers them in order (HTTP/1.1 keep-alive).

    Each answer is built on arrival and written by a timer after its delay, so a waiting request
    costs a timer handle, not a task."""

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.head: tuple[str, str, dict[str, str]] | None = None
        self.need = 0
        self.pending: collections.deque[list[Any]] = collections.deque()  # [ready, data, handle]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.server._connections.add(self)
        self.server._open += 1
        self.server.opened += 1
        self.server.max_open = max(self.server.max_open, self.server._open)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server._open -= 1
        self.server._connections.discard(self)
        self.transport = None
        self._cancel_pending()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self._cancel_pending()

    def _cancel_pending(self) -> None:
        for entry in self.pending:
            if entry[2] is not None:
                entry[2].cancel()
        self.pending.clear()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.head is None:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
                del self.buf[: end + 4]
                try:
                    method, path, _ = lines[0].split(" ", 2)
                except ValueError:
                    self._send([True, _http(400, {}, b'{"error": {"message": "bad request line"}}'), None])
                    return
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                self.head = (method, path, headers)
                self.need = int(headers.get("content-length", "0") or 0)
            if len(self.buf) < self.need:
                return
            body = bytes(self.buf[: self.need])
            del self.buf[: self.need]
            method, path, headers = self.head
            self.head = None
            delay, response = self.server.respond(method, path, headers, body)
            entry: list[Any] = [delay <= 0, response, None]
            if delay > 0:
                entry[2] = asyncio.get_running_loop().call_later(delay, self._ready, entry)
            self._send(entry)

    def _send(self, entry: list[Any]) -> None:
        self.pending.append(entry)
        self._flush()

    def _ready(self, entry: list[Any]) -> None:
        entry[0] = True
        self._flush()

    def _flush(self) -> None:
        while self.pending and self.pending[0][0]:
            data = self.pending.popleft()[1]
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(data)


def run_forever(server: TestServer, ready: Callable[[TestServer], Any] | None = None) -> None:
    """Serve in the foreground until interrupted (the subprocess entry uses this)."""

    async def main() -> None:
        await server.astart()
        if ready is not None:
            ready(server)
        await asyncio.Event().wait()

    try:
        run(main())
    except KeyboardInterrupt:
        pass
