"""A warm pool: started sandboxes waiting to be leased, refilled in the background.

- `size` sandboxes are kept started and idle; `max_size` caps idle + leased (the host budget).
- A lease health-checks its sandbox first (a no-op command) and replaces a dead one.
- On release a sandbox is destroyed and replaced (clean state, the default), or with
  `recycle=True` wiped and reused up to `max_uses` times — never after it broke.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from sandbox.base import Backend, Sandbox
from sandbox.errors import PoolExhaustedError, SandboxError
from sandbox.models import SandboxSpec

WIPE = "rm -rf /workspace/* /workspace/.[!.]* /workspace/..?* /tmp/* /tmp/.[!.]* 2>/dev/null; true"


class SandboxPool:
    def __init__(
        self,
        backend: Backend,
        spec: SandboxSpec | None = None,
        *,
        size: int = 4,
        max_size: int | None = None,
        health_check: bool = True,
        recycle: bool = False,
        max_uses: int = 20,
    ) -> None:
        if size < 0 or (max_size is not None and max_size < max(size, 1)):
            raise ValueError(
                f"pool size {size} / max_size {max_size}: need 0 <= size <= max_size, max_size >= 1"
            )
        self.backend = backend
        self.spec = spec or SandboxSpec()
        self.size = size
        self.max_size = max_size if max_size is not None else max(size, 1)
        self.health_check = health_check
        self.recycle = recycle
        self.max_uses = max_uses
        self._idle: deque[Sandbox] = deque()
        self._uses: dict[str, int] = {}
        self._live = 0  # idle + leased + being started
        self._cond = threading.Condition()
        self._closed = False
        self._refiller: threading.Thread | None = None
        self.errors: list[str] = []  # start failures seen by the refiller (the last few)

    # -- filling ----------------------------------------------------------------------------
    def start(self, wait: bool = True, timeout_s: float = 300.0) -> SandboxPool:
        """Start the background refiller; with `wait`, return once `size` sandboxes are idle."""
        self._refiller = threading.Thread(target=self._refill_loop, name="sandbox-pool-refill", daemon=True)
        self._refiller.start()
        if wait:
            deadline = time.monotonic() + timeout_s
            with self._cond:
                while len(self._idle) < self.size:
                    if self._closed or not self._cond.wait(max(deadline - time.monotonic(), 0)):
                        raise PoolExhaustedError(
                            f"pool reached {len(self._idle)}/{self.size} warm sandboxes in {timeout_s:.0f}s; "
                            f"last errors: {self.errors[-3:]}"
                        )
        return self

    def _want_more(self) -> bool:
        return not self._closed and len(self._idle) < self.size and self._live < self.max_size

    def _refill_loop(self) -> None:
        while True:
            with self._cond:
                while not self._want_more():
                    if self._closed:
                        return
                    self._cond.wait()
                self._live += 1
            try:
                sandbox = self.backend.start(self.spec)
                if self.health_check and not sandbox.healthy():  # warm = the sandbox has answered
                    sandbox.close()
                    raise SandboxError(f"sandbox {sandbox.id} did not answer after start")
            except SandboxError as exc:
                with self._cond:
                    self._live -= 1
                    self.errors = [*self.errors[-9:], str(exc)]
                    self._cond.notify_all()
                    self._cond.wait(1.0)  # back off before the next try (woken early by close)
                continue
            with self._cond:
                if self._closed:
                    self._live -= 1
                    sandbox.close()
                    return
                self._idle.append(sandbox)
                self._cond.notify_all()

    # -- leasing ----------------------------------------------------------------------------
    def _take(self, deadline: float) -> Sandbox | None:
        """An idle sandbox, or None when the caller may start one itself (under max_size)."""
        with self._cond:
            while True:
                if self._closed:
                    raise SandboxError("the pool is closed")
                if self._idle:
                    return self._idle.popleft()
                if self._live < self.max_size and (self._refiller is None or self.size == 0):
                    self._live += 1
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolExhaustedError(
                        f"no sandbox free within the lease timeout ({self._live}/{self.max_size} live); "
                        f"raise max_size or the timeout"
                    )
                self._cond.wait(remaining)

    def acquire(self, timeout_s: float = 300.0) -> Sandbox:
        deadline = time.monotonic() + timeout_s
        while True:
            sandbox = self._take(deadline)
            if sandbox is None:
                try:
                    return self.backend.start(self.spec)
                except BaseException:
                    self._forget()
                    raise
            if not self.health_check or sandbox.healthy():
                return sandbox
            sandbox.close()
            self._forget()

    def release(self, sandbox: Sandbox, *, reusable: bool = True) -> None:
        uses = self._uses.pop(sandbox.id, 0) + 1
        if self.recycle and reusable and uses < self.max_uses and not self._closed:
            try:
                wiped = sandbox.exec(WIPE, timeout_s=30).ok
            except SandboxError:
                wiped = False
            if wiped:
                with self._cond:
                    self._uses[sandbox.id] = uses
                    self._idle.append(sandbox)
                    self._cond.notify_all()
                return
        sandbox.close()
        self._forget()

    def _forget(self) -> None:
        with self._cond:
            self._live -= 1
            self._cond.notify_all()

    @contextmanager
    def lease(self, timeout_s: float = 300.0) -> Iterator[Sandbox]:
        """A healthy sandbox for the duration of the block; destroyed (or wiped) afterwards."""
        sandbox = self.acquire(timeout_s)
        ok = False
        try:
            yield sandbox
            ok = True
        finally:
            self.release(sandbox, reusable=ok)

    # -- state ------------------------------------------------------------------------------
    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def live(self) -> int:
        return self._live

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle = list(self._idle)
            self._idle.clear()
            self._cond.notify_all()
        for sandbox in idle:
            sandbox.close()
            with self._cond:
                self._live -= 1
        if self._refiller is not None:
            self._refiller.join(timeout=120)

    def __enter__(self) -> SandboxPool:
        return self.start() if self._refiller is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()
