"""Connecting to a Docker engine that is not there: a clear error that names the fix, and no
socket left open behind it (docker-py leaks the socket of a unix connect that fails while its
client is being built, so the socket is checked first)."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import pytest

from sandbox.docker_backend import connect, unix_socket_error
from sandbox.errors import EngineUnavailableError
from sandbox.models import DockerBackendConfig


def test_a_missing_engine_socket_is_named_and_leaves_no_socket_open(tmp_path: Path) -> None:
    url = f"unix://{tmp_path / 'no-engine.sock'}"
    assert isinstance(unix_socket_error(url), FileNotFoundError)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(EngineUnavailableError, match="start dockerd, set DOCKER_HOST, or use the local"):
            connect(DockerBackendConfig(base_url=url))
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [
        str(w.message) for w in caught
    ]


def test_an_engine_reached_over_tcp_is_not_checked_as_a_socket() -> None:
    assert unix_socket_error("tcp://127.0.0.1:2375") is None
