"""A lean HTTP/1.1 client for one job: POST a body, read the whole reply, keep the connection.

The `openai_compatible` transport sends thousands of small requests in flight. aiohttp spent about
0.25 ms of CPU on each (request and response objects, header multidicts, tracing hooks, timers);
this pool spends a fraction of that: one `asyncio.Protocol` per connection, the request written as
one bytes object, the reply parsed by llhttp (`httptools`, the parser of Node.js and uvicorn:
Content-Length, chunked and read-until-close bodies, keep-alive rules), gzip/deflate decoded.

Connections are kept per origin and reused last-in first-out; one idle longer than `max_idle_s`
is closed instead of reused. A request that fails on a reused connection before any byte of the
reply arrived (the server closed it while idle) is sent once more on a fresh connection — the
server cannot have acted on it. Plain `http://` and `https://` (TLS with the system's CA store).
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import httptools

from toolforge.core.errors import ConfigError

MAX_BODY_BYTES = 64 * 1024 * 1024


class HTTPError(Exception):
    """The exchange failed below HTTP semantics: no connection, a broken or unreadable reply."""


class Disconnected(HTTPError):
    """The server closed the connection before the reply was complete."""

    def __init__(self, message: str, got_bytes: bool) -> None:
        super().__init__(message)
        self.got_bytes = got_bytes


@dataclass(frozen=True, slots=True)
class Origin:
    """Where requests go: scheme, host and port (one connection pool each) and the path prefix."""

    scheme: str
    host: str
    port: int
    prefix: str

    @property
    def netloc(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


@lru_cache(maxsize=256)
def parse_origin(base_url: str) -> Origin:
    """`http://host:port/v1` → Origin; a ConfigError naming the fix for anything that is not http(s)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not an http(s) URL: {base_url!r}; give api_base as http://HOST:PORT/PATH")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return Origin(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str]  # names lower-cased; a repeated header keeps its last value
    body: bytes


def _check_header(value: str) -> str:
    if "\r" in value or "\n" in value:  # the value itself is not shown: it may be an API key
        raise ConfigError("an HTTP header value contains a line break; check the API key and headers")
    return value


@lru_cache(maxsize=256)
def request_head(origin: Origin, path: str, headers: tuple[tuple[str, str], ...]) -> bytes:
    """Everything of a POST before its Content-Length value (built once per origin, path and headers)."""
    lines = [f"POST {origin.prefix}{path} HTTP/1.1", f"Host: {origin.netloc}"]
    lines += [f"{_check_header(name)}: {_check_header(value)}" for name, value in headers]
    lines += ["Accept-Encoding: gzip, deflate", "Content-Length: "]
    return "\r\n".join(lines).encode("latin-1")


class _Connection(asyncio.Protocol):
    """One keep-alive connection carrying one exchange at a time."""

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[Response] | None = None
        self.closed = False
        self.idle_since = 0.0
        self._reset()

    def _reset(self) -> None:
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.size = 0
        self.got_bytes = False
        self.headers_done = False
        self.framed = False  # Content-Length or chunked: the end of the body is known

    # ---- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # pyright: ignore[reportAttributeAccessIssue]  # asyncio types it BaseTransport; a stream connection gets a Transport (uvloop's is not a subclass, so no isinstance)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self.headers_done and not self.framed:
            self._complete(keep_alive=False)  # a body delimited by the end of the connection
            return
        reason = f"{type(exc).__name__}: {exc}" if exc is not None else "closed by the server"
        waiter.set_exception(
            Disconnected(f"connection lost before the reply was complete ({reason})", self.got_bytes)
        )

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return  # given up on (too large, unreadable): the rest is not parsed
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HTTPError(f"unreadable HTTP reply: {exc}"))

    # ---- llhttp callbacks ---------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.headers_done = True
        self.framed = "content-length" in self.headers or "chunked" in self.headers.get(
            "transfer-encoding", ""
        )

    def on_body(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_body:
            self._fail(HTTPError(f"reply body over {self.max_body} bytes"))
            return
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        if self.closed:
            return
        self._complete(keep_alive=self.parser.should_keep_alive())

    # ---- exchanges ----------------------------------------------------------------------------

    def _complete(self, keep_alive: bool) -> None:
        waiter = self.waiter
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        encoding = self.headers.get("content-encoding", "identity")
        response = Response(self.parser.get_status_code(), self.headers, body)
        self._reset()
        if not keep_alive:
            self.close()
        if waiter is None or waiter.done():
            return
        if encoding in ("gzip", "deflate"):
            try:  # wbits 47: a gzip or zlib header, detected
                response.body = zlib.decompress(body, 47)
            except zlib.error as exc:
                waiter.set_exception(HTTPError(f"reply body is not valid {encoding}: {exc}"))
                return
        waiter.set_result(response)

    def _fail(self, exc: Exception) -> None:
        self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class HTTPPool:
    """Keep-alive connections per origin, for one event loop. Unbounded: callers limit concurrency."""

    def __init__(
        self,
        max_idle_s: float = 15.0,
        max_body: int = MAX_BODY_BYTES,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.max_idle_s = max_idle_s
        self.max_body = max_body
        self._idle: dict[Origin, list[_Connection]] = {}
        self._all: set[_Connection] = set()
        self._ssl = ssl_context  # None: the system's CA store, made at the first https connection
        self.opened = 0  # connections opened so far (tests and benchmarks read it)

    async def post(self, origin: Origin, head: bytes, body: bytes, timeout_s: float) -> Response:
        """Send `head` (from `request_head`) with `body`; the whole reply within `timeout_s`.
        Raises TimeoutError, HTTPError (Disconnected included) or OSError (no connection)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        payload = head + b"%d\r\n\r\n" % len(body) + body
        conn = self._reuse(origin, loop.time())
        if conn is not None:
            try:
                return await self._exchange(conn, origin, payload, deadline, loop)
            except Disconnected as exc:
                if exc.got_bytes:
                    raise
                # the server closed the idle connection as we reused it: it never saw this request
        conn = await self._open(origin, deadline, loop)
        return await self._exchange(conn, origin, payload, deadline, loop)

    def _reuse(self, origin: Origin, now: float) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.closed and now - conn.idle_since <= self.max_idle_s:
                return conn
            self._discard(conn)
        return None

    async def _open(self, origin: Origin, deadline: float, loop: asyncio.AbstractEventLoop) -> _Connection:
        tls = None
        if origin.scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            tls = self._ssl
        async with asyncio.timeout_at(deadline):
            _, conn = await loop.create_connection(
                lambda: _Connection(self.max_body), origin.host, origin.port, ssl=tls
            )
        self.opened += 1
        self._all.add(conn)
        return conn

    async def _exchange(
        self,
        conn: _Connection,
        origin: Origin,
        payload: bytes,
        deadline: float,
        loop: asyncio.AbstractEventLoop,
    ) -> Response:
        waiter = conn.waiter = loop.create_future()
        timer = loop.call_at(deadline, _expire, waiter)
        try:
            assert conn.transport is not None
            conn.transport.write(payload)
            response = await waiter
        except BaseException:
            conn.abort()  # mid-exchange: its state is unknown, so it is never reused
            self._discard(conn)
            raise
        finally:
            timer.cancel()
            conn.waiter = None
        if conn.closed:
            self._discard(conn)
        else:
            conn.idle_since = loop.time()
            self._idle.setdefault(origin, []).append(conn)
        return response

    def _discard(self, conn: _Connection) -> None:
        conn.close()
        self._all.discard(conn)

    async def aclose(self) -> None:
        """Close every connection (idle or busy) of this pool."""
        for conn in list(self._all):
            conn.abort()
        self._all.clear()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports run their connection_lost callbacks


def _expire(waiter: asyncio.Future[Response]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())
