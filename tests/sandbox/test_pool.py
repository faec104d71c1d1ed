"""The warm pool against real containers: size limit, health checks, refill, recycle, close."""

from __future__ import annotations

import threading
import time

import pytest

from sandbox.base import Sandbox
from sandbox.docker_backend import DockerBackend, DockerSandbox
from sandbox.errors import PoolExhaustedError
from sandbox.models import SandboxSpec
from sandbox.pool import SandboxPool

pytestmark = pytest.mark.docker


def wait_for(predicate, timeout_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        time.sleep(0.05)


def test_pool_keeps_warm_sandboxes_and_caps_the_total(
    docker_backend: DockerBackend, spec: SandboxSpec
) -> None:
    owner = docker_backend.config.owner
    with SandboxPool(docker_backend, spec, size=2, max_size=2) as pool:
        assert pool.idle == 2 and pool.live == 2
        with pool.lease() as a, pool.lease() as b:
            assert a.id != b.id and a.exec("echo hi").stdout == "hi\n"
            started = time.monotonic()
            with pytest.raises(PoolExhaustedError):
                pool.acquire(timeout_s=0.5)
            assert time.monotonic() - started < 3
            assert len(docker_backend.list(owner)) == 2
        # released sandboxes are destroyed and replaced by fresh ones
        wait_for(lambda: pool.idle == 2)
        names = {c.name for c in docker_backend.list(owner)}
        assert a.id not in names and b.id not in names and len(names) == 2
    assert docker_backend.list(owner) == []


def test_a_waiting_lease_gets_the_next_free_sandbox(docker_backend: DockerBackend, spec: SandboxSpec) -> None:
    with SandboxPool(docker_backend, spec, size=1, max_size=1) as pool:
        first = pool.acquire()
        got: list[Sandbox] = []
        waiter = threading.Thread(target=lambda: got.append(pool.acquire(timeout_s=60)))
        waiter.start()
        pool.release(first)
        waiter.join(timeout=60)
        assert len(got) == 1 and got[0].id != first.id
        pool.release(got[0])


def test_health_check_replaces_a_dead_idle_sandbox(docker_backend: DockerBackend, spec: SandboxSpec) -> None:
    with SandboxPool(docker_backend, spec, size=1, max_size=1) as pool:
        victim = pool._idle[0]
        assert isinstance(victim, DockerSandbox)
        victim.container.remove(force=True)  # died while idle
        with pool.lease(timeout_s=60) as box:
            assert box.id != victim.id
            assert box.exec("true").ok


def test_recycle_wipes_the_workspace_and_reuses(docker_backend: DockerBackend, spec: SandboxSpec) -> None:
    with SandboxPool(docker_backend, spec, size=1, max_size=1, recycle=True) as pool:
        with pool.lease() as box:
            box.write_files({"secret.txt": "x", ".hidden": "y"})
            box.exec("echo t > /tmp/t; setsid sleep 100 &")
            first = box.id
        with pool.lease() as again:
            assert again.id == first
            assert again.exec("ls -A /workspace /tmp").stdout.split() == ["/tmp:", "/workspace:"]


def test_a_failed_lease_body_never_returns_the_sandbox(
    docker_backend: DockerBackend, spec: SandboxSpec
) -> None:
    with SandboxPool(docker_backend, spec, size=1, max_size=1, recycle=True) as pool:
        with pytest.raises(RuntimeError), pool.lease() as box:
            bad = box.id
            raise RuntimeError("the caller failed mid-lease")
        with pool.lease() as box:
            assert box.id != bad


def test_bad_sizes_are_refused(docker_backend: DockerBackend) -> None:
    with pytest.raises(ValueError, match="max_size"):
        SandboxPool(docker_backend, size=4, max_size=2)
