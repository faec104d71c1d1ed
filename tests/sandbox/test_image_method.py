"""How `toolforge sandbox build-image --method auto` picks its build: offline when it can run,
the Dockerfile when its base is here or a registry answers, else offline (whose error names the fix)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sandbox.images import choose_method, registry_answers


class _Unauthorized(BaseHTTPRequestHandler):
    """A registry's /v2/ without a token: 401, which still means "reachable"."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def _registry() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v2/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_registry_that_refuses_still_answers() -> None:
    with _registry() as url:
        assert registry_answers(url, timeout_s=5)


def test_nothing_listening_is_no_registry() -> None:
    assert not registry_answers(f"http://127.0.0.1:{_closed_port()}/v2/", timeout_s=5)


@pytest.mark.parametrize(
    ("offline_possible", "base_present", "registry_up", "chosen"),
    [
        (True, False, False, "offline"),
        (True, True, True, "offline"),
        (False, True, False, "dockerfile"),
        (False, False, True, "dockerfile"),
        (False, False, False, "offline"),
    ],
)
def test_auto_picks_the_build_that_can_work(
    offline_possible: bool, base_present: bool, registry_up: bool, chosen: str
) -> None:
    picked = choose_method(
        "auto", offline_possible=offline_possible, base_present=base_present, registry_up=registry_up
    )
    assert picked == chosen


def test_an_explicit_method_is_kept() -> None:
    for method in ("offline", "dockerfile"):
        assert choose_method(method, offline_possible=False, base_present=False, registry_up=False) == method  # type: ignore[arg-type]
