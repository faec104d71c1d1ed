"""Joining a Ray cluster for `toolforge generate --ray ADDRESS`, and refusing what cannot work.

Every check here runs before any stage does: a run that cannot use the cluster stops with a
message that names the fix, and nothing is written. Ray is imported only here and only when a
run asks for it (`pip install 'toolforge[ray]'`).
"""

from __future__ import annotations

import importlib.metadata
import re
import socket
from types import ModuleType
from typing import Any

from toolforge.core.errors import ConfigError

INSTALL = "pip install 'toolforge[ray]'"
DEFAULT_CLIENT_PORT = 10001


def import_ray() -> ModuleType:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            f"--ray needs Ray on this machine: {INSTALL} (same version as the cluster)"
        ) from exc
    return ray


def require_shared_store(store_url: str) -> None:
    """Every node writes to the store: it must be a server they can all reach, not a local file."""
    if not store_url.startswith(("postgresql", "postgres")):
        raise ConfigError(
            f"--ray needs a store every node can reach, but the store is {store_url}: "
            "set TOOLFORGE_DB (or --db, or db: in the config) to a postgresql://… URL on the cluster"
        )


def _host_port(address: str) -> tuple[str, int] | None:
    """Host and port of `ray://host:port` or `host:port`; None for `auto` and `local`."""
    if address in ("auto", "local"):
        return None
    rest = address.removeprefix("ray://")
    host, _, port = rest.rpartition(":")
    if not host:
        return rest, DEFAULT_CLIENT_PORT
    try:
        return host, int(port)
    except ValueError as exc:
        raise ConfigError(f"--ray {address}: expected auto or ray://HOST:PORT") from exc


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """A plain TCP connect first: Ray itself retries an unreachable address for a minute."""
    target = _host_port(address)
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=timeout_s):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the Ray cluster at {address} ({exc}): start its head with "
            "`ray start --head` (or `docker compose up ray-head`), check the host and port, "
            "or use --ray auto on a node of the cluster"
        ) from exc


VERSION_TEXT = re.compile(
    r"Ray: (?P<cluster>[\w.+-]+).*?(?:This process|started with).*?Ray: (?P<here>[\w.+-]+)", re.S
)


def version_fix(message: str) -> str | None:
    """The fix for Ray's own version-mismatch error text, or None if `message` is another error."""
    if "version mismatch" not in message.lower():
        return None
    found = VERSION_TEXT.search(message)
    here = importlib.metadata.version("ray")
    cluster = found.group("cluster") if found else "another version"
    if found:
        here = found.group("here")
    return (
        f"the Ray cluster runs Ray {cluster} but this machine has Ray {here}: install the cluster's "
        f"version here (pip install 'ray=={cluster}'), or start the cluster with Ray {here}"
    )


def connect(address: str) -> Any:
    """`ray.init` on `address`; returns the ray module. Bad addresses and versions name the fix."""
    ray = import_ray()
    check_reachable(address)
    if ray.is_initialized():
        return ray
    try:
        ray.init(address=address, logging_level="WARNING", log_to_driver=False, include_dashboard=False)
    except ConnectionError as exc:
        raise ConfigError(
            f"no Ray cluster at {address} ({exc}): start one with `ray start --head`, "
            "or pass --ray ray://HOST:PORT of a running head"
        ) from exc
    except Exception as exc:  # Ray raises RuntimeError/ValueError subclasses for a version clash
        fix = version_fix(str(exc))
        if fix is None:
            raise
        raise ConfigError(fix) from exc
    return ray
