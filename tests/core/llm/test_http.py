"""The lean HTTP/1.1 pool under the openai_compatible transport, against a raw scripted server:
framing (Content-Length, chunked, until close), gzip, keep-alive and its failures, timeouts, TLS."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from toolforge.core.errors import ConfigError
from toolforge.core.llm.http import Disconnected, HTTPError, HTTPPool, Origin, parse_origin, request_head

# What the server does with one request: the bytes to write back (None: write nothing), and
# whether to close the connection afterwards.
Script = Callable[[bytes], tuple[bytes | None, bool]]


class RawServer:
    def __init__(self) -> None:
        self.scripts: list[Script] = []
        self.requests: list[bytes] = []
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                reply, close = self.scripts.pop(0)(request)
                if reply is not None:
                    writer.write(reply)
                    await writer.drain()
                if close:
                    break
                if reply is None:
                    await asyncio.sleep(3600)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def raw() -> AsyncIterator[tuple[RawServer, Origin]]:
    server = RawServer()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    yield server, parse_origin(f"http://127.0.0.1:{port}/v1")
    listener.close()


def reply(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers]
    if not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def answer(data: bytes, close: bool = False) -> Script:
    return lambda _request: (data, close)


def head_for(origin: Origin) -> bytes:
    return request_head(origin, "/chat/completions", (("Content-Type", "application/json"),))


async def test_content_length_reply_and_the_connection_is_kept(raw: tuple[RawServer, Origin]) -> None:
    server, origin = raw
    server.scripts += [answer(reply(b'{"n": 1}')), answer(reply(b'{"n": 2}', "X-Extra: yes"))]
    pool = HTTPPool()
    first = await pool.post(origin, head_for(origin), b"{}", 5)
    second = await pool.post(origin, head_for(origin), b'{"a": 1}', 5)
    assert (first.status, first.body) == (200, b'{"n": 1}')
    assert second.body == b'{"n": 2}' and second.headers["x-extra"] == "yes"
    assert pool.opened == 1 and server.connections == 1
    assert server.requests[1].startswith(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:")
    assert server.requests[1].endswith(b'Content-Length: 8\r\n\r\n{"a": 1}')
    await pool.aclose()


async def test_chunked_and_gzip_bodies_are_decoded(raw: tuple[RawServer, Origin]) -> None:
    server, origin = raw
    chunked = b'4\r\n{"a"\r\n5\r\n: 10}\r\n0\r\n\r\n'
    server.scripts += [
        answer(reply(chunked, "Transfer-Encoding: chunked")),
        answer(reply(gzip.compress(b'{"zipped": true}'), "Content-Encoding: gzip")),
    ]
    pool = HTTPPool()
    assert (await pool.post(origin, head_for(origin), b"{}", 5)).body == b'{"a": 10}'
    assert (await pool.post(origin, head_for(origin), b"{}", 5)).body == b'{"zipped": true}'
    assert pool.opened == 1
    await pool.aclose()


async def test_a_body_that_ends_with_the_connection(raw: tuple[RawServer, Origin]) -> None:
    server, origin = raw
    server.scripts += [
        answer(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * 100_000, close=True),
        answer(reply(b"next")),
    ]
    pool = HTTPPool()
    assert (await pool.post(origin, head_for(origin), b"{}", 5)).body == b"x" * 100_000
    assert (await pool.post(origin, head_for(origin), b"{}", 5)).body == b"next"
    assert pool.opened == 2  # the closed connection was not reused


async def test_connection_close_header_is_honoured(raw: tuple[RawServer, Origin]) -> None:
    server, origin = raw
    server.scripts += [answer(reply(b"one", "Connection: close"), close=True), answer(reply(b"two"))]
    pool = HTTPPool()
    await pool.post(origin, head_for(origin), b"{}", 5)
    assert (await pool.post(origin, head_for(origin), b"{}", 5)).body == b"two"
    assert pool.opened == 2 and server.connections == 2
    await pool.aclose()


async def test_a_keep_alive_connection_closed_while_idle_is_replaced_once(
    raw: tuple[RawServer, Origin],
) -> None:
    server, origin = raw
    # the server drops the connection after its reply without saying so (an idle timeout)
    server.scripts += [answer(reply(b"first"), close=True), answer(reply(b"second"))]
    pool = HTTPPool()
    await pool.post(origin, head_for(origin), b"{}", 5)
    await asyncio.sleep(0.05)  # the close reaches the client (or not: the retry covers both)
    assert (await pool.post(origin, head_for(origin), b"{}", 5)).body == b"second"
    assert len(server.requests) == 2  # sent once on the new connection, never twice to the server
    await pool.aclose()


async def test_a_reused_connection_dropped_before_any_reply_is_retried_on_a_new_one(
    raw: tuple[RawServer, Origin],
) -> None:
    server, origin = raw
    # the reused connection is closed without a byte of reply (the race with an idle timeout)
    server.scripts += [answer(reply(b"first")), answer(None, close=True), answer(reply(b"retried"))]
    pool = HTTPPool()
    await pool.post(origin, head_for(origin), b"{}", 5)
    assert (await pool.post(origin, head_for(origin), b"{}", 5)).body == b"retried"
    assert pool.opened == 2
    await pool.aclose()


async def test_a_fresh_connection_dropped_before_any_reply_is_not_retried(
    raw: tuple[RawServer, Origin],
) -> None:
    server, origin = raw
    server.scripts += [answer(None, close=True), answer(reply(b"never"))]
    pool = HTTPPool()
    with pytest.raises(Disconnected):
        await pool.post(origin, head_for(origin), b"{}", 5)
    assert len(server.requests) == 1


async def test_a_reply_cut_off_midway_is_an_error_and_not_resent(raw: tuple[RawServer, Origin]) -> None:
    server, origin = raw
    server.scripts += [answer(b'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"partial', close=True)]
    pool = HTTPPool()
    with pytest.raises(Disconnected) as caught:
        await pool.post(origin, head_for(origin), b"{}", 5)
    assert caught.value.got_bytes and len(server.requests) == 1


async def test_no_reply_within_the_timeout(raw: tuple[RawServer, Origin]) -> None:
    server, origin = raw
    server.scripts += [answer(None), answer(reply(b"later"))]
    pool = HTTPPool()
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(TimeoutError):
        await pool.post(origin, head_for(origin), b"{}", 0.2)
    assert 0.2 <= loop.time() - start < 2
    assert (await pool.post(origin, head_for(origin), b"{}", 5)).body == b"later"
    assert pool.opened == 2  # the timed-out connection was dropped, not reused
    await pool.aclose()


async def test_garbage_and_oversized_replies_are_errors(raw: tuple[RawServer, Origin]) -> None:
    server, origin = raw
    server.scripts += [answer(b"NOT HTTP AT ALL\r\n\r\n"), answer(reply(b"y" * 2000))]
    pool = HTTPPool(max_body=1000)
    with pytest.raises(HTTPError, match="unreadable HTTP reply"):
        await pool.post(origin, head_for(origin), b"{}", 5)
    with pytest.raises(HTTPError, match="over 1000 bytes"):
        await pool.post(origin, head_for(origin), b"{}", 5)


async def test_a_cancelled_exchange_drops_its_connection(raw: tuple[RawServer, Origin]) -> None:
    server, origin = raw
    server.scripts += [answer(None), answer(reply(b"fresh"))]
    pool = HTTPPool()
    task = asyncio.create_task(pool.post(origin, head_for(origin), b"{}", 5))
    while not server.requests:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await pool.post(origin, head_for(origin), b"{}", 5)).body == b"fresh"
    assert pool.opened == 2
    await pool.aclose()


def test_origins_and_request_heads() -> None:
    origin = parse_origin("https://api.example.com/v1/")
    assert (origin.scheme, origin.host, origin.port, origin.prefix) == (
        "https",
        "api.example.com",
        443,
        "/v1",
    )
    assert origin.netloc == "api.example.com"
    assert parse_origin("http://[::1]:8000").netloc == "[::1]:8000"
    head = request_head(origin, "/chat/completions", (("Authorization", "Bearer k"),))
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.example.com\r\n")
    assert head.endswith(b"\r\nContent-Length: ")
    with pytest.raises(ConfigError, match="give api_base as http://HOST:PORT/PATH"):
        parse_origin("ftp://example.com")


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no system CA signed, and its key."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_https_verifies_the_server_certificate(tmp_path: Path) -> None:
    """TLS: the exchange and keep-alive work over https with a CA the pool trusts; a pool on the
    system's CA store refuses the same server (its certificate is self-signed) and sends nothing."""
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    server = RawServer()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=server_tls)
    origin = parse_origin(f"https://127.0.0.1:{listener.sockets[0].getsockname()[1]}/v1")
    try:
        server.scripts += [answer(reply(b'{"n": 1}')), answer(reply(b'{"n": 2}'))]
        trusting = HTTPPool(ssl_context=ssl.create_default_context(cafile=str(cert)))
        first = await trusting.post(origin, head_for(origin), b"{}", 5)
        second = await trusting.post(origin, head_for(origin), b"{}", 5)
        assert (first.status, first.body, second.body) == (200, b'{"n": 1}', b'{"n": 2}')
        assert trusting.opened == 1 and server.requests[0].startswith(b"POST /v1/chat/completions HTTP/1.1")
        await trusting.aclose()
        system = HTTPPool()
        with pytest.raises(ssl.SSLCertVerificationError, match="self.signed"):
            await system.post(origin, head_for(origin), b"{}", 5)
        assert len(server.requests) == 2
        await system.aclose()
    finally:
        listener.close()
